// Command governance runs the governance service alone, as deploy/ does; cmd/tongdu runs
// all four in one process instead.
package main

import (
	"tongdu/platform/servicemain"
	"tongdu/services/governance"
)

func main() { servicemain.Run(governance.Module()) }
