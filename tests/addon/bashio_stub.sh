#!/usr/bin/env bash
# A stand-in for the bashio library, for running the add-on's s6 scripts outside the add-on.
#
# Real bashio (`#!/command/with-contenv bashio`) turns on errexit, errtrace, nounset and pipefail,
# sources its library, then sources the script; run_addon_script() in the tests does the same with
# this file. The functions mirror bashio's behaviour for what the scripts use:
#   BASHIO_OPTIONS         the add-on options (what the Supervisor writes to /data/options.json)
#   BASHIO_SERVICES_DIR    NAME.json per service the Supervisor offers (none: not available)
#   BASHIO_DISCOVERY_FILE  where bashio::discovery appends "SERVICE CONFIG" lines
# Log lines go to stderr as "LEVEL: message".

__stub_value() {
    # What bashio::config / bashio::services print: null stays "null", an empty string, array
    # or object prints nothing, an array prints one item per line, a boolean prints true/false.
    local file=${1}
    local key=${2}
    jq -r --arg k "${key}" '
        .[$k] as $v
        | if $v == null then "null"
          elif ($v | type) == "string" then $v
          elif ($v | type) == "boolean" then ($v | tostring)
          elif ($v | type) == "array" then $v[] | (if type == "string" then . else tojson end)
          elif ($v | type) == "object" then (if $v == {} then empty else ($v | tojson) end)
          else ($v | tostring)
          end
    ' "${file}"
}

function bashio::log.trace() { :; }
function bashio::log.debug() { echo "DEBUG: $*" >&2; }
function bashio::log.info() { echo "INFO: $*" >&2; }
function bashio::log.notice() { echo "NOTICE: $*" >&2; }
function bashio::log.warning() { echo "WARNING: $*" >&2; }
function bashio::log.error() { echo "ERROR: $*" >&2; }
function bashio::log.fatal() { echo "FATAL: $*" >&2; }
function bashio::log.level() { echo "LOGLEVEL: $*" >&2; }

function bashio::exit.nok() {
    if [[ -n "${1:-}" ]]; then
        bashio::log.fatal "${1}"
    fi
    exit 1
}

function bashio::var.has_value() { [[ -n "${1:-}" ]]; }
function bashio::var.true() { [[ "${1:-}" == "true" ]]; }
function bashio::var.false() { [[ "${1:-}" == "false" ]]; }

function bashio::var.json() {
    # key value [key value ...]; a value starting with ^ is raw JSON (as in bashio).
    local args=(-n)
    local filter="{}"
    local i=0
    while [[ $# -gt 0 ]]; do
        if [[ "${2}" == ^* ]]; then
            args+=(--argjson "v${i}" "${2:1}")
        else
            args+=(--arg "v${i}" "${2}")
        fi
        filter+=" + {\"${1}\": \$v${i}}"
        shift 2
        i=$((i + 1))
    done
    jq -c "${args[@]}" "${filter}"
}

function bashio::config() {
    __stub_value "${BASHIO_OPTIONS}" "${1}"
}

function bashio::config.exists() {
    [[ "$(bashio::config "${1}")" != "null" ]]
}

function bashio::config.has_value() {
    local value
    value=$(bashio::config "${1}")
    [[ "${value}" != "null" ]] && bashio::var.has_value "${value}"
}

function bashio::config.true() {
    bashio::var.true "$(bashio::config "${1}")"
}

function bashio::config.false() {
    bashio::var.false "$(bashio::config "${1}")"
}

function bashio::services.available() {
    [[ -n "${BASHIO_SERVICES_DIR:-}" && -f "${BASHIO_SERVICES_DIR}/${1}.json" ]]
}

function bashio::services() {
    local file="${BASHIO_SERVICES_DIR:-}/${1}.json"
    if [[ -z "${2:-}" ]]; then
        cat "${file}"
    else
        __stub_value "${file}" "${2}"
    fi
}

function bashio::discovery() {
    echo "${1} ${2}" >> "${BASHIO_DISCOVERY_FILE}"
    echo '{"uuid": "stub"}'
}
