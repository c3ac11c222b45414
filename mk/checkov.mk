# checkov is shared by the infra, chart, container and workflow checks; one skip list
# (.checkov.yaml) names and justifies every skipped check.
SETUP_SCRIPTS += scripts/setup/checkov.sh
