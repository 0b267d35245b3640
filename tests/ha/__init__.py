"""Home Assistant's own integrations against our hub and satellite (`make ha-test`)."""
