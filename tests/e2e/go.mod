module tongdu/tests/e2e

go 1.26.0

replace (
	tongdu/cmd/tongdu => ../../cmd/tongdu
	tongdu/gateway => ../../gateway
	tongdu/platform => ../../platform
	tongdu/proto => ../../proto
	tongdu/services/finance => ../../services/finance
	tongdu/services/governance => ../../services/governance
	tongdu/services/projects => ../../services/projects
	tongdu/services/survey => ../../services/survey
)
