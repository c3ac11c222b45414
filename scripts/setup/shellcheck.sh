#!/usr/bin/env bash
# shellcheck: actionlint runs it over every `run:` block of the workflows when it is on
# PATH; the delivery tests require it so those scripts are always checked.
source "$(dirname "$0")/lib.sh"
apt_install shellcheck
