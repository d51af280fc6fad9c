// Command finance runs the finance service alone, as deploy/ does; cmd/tongdu runs all
// four in one process instead.
package main

import (
	"tongdu/platform/servicemain"
	"tongdu/services/finance"
)

func main() { servicemain.Run(finance.Module()) }
