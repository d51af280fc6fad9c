// Command projects runs the projects service alone, as deploy/ does; cmd/tongdu runs all
// four in one process instead.
package main

import (
	"tongdu/platform/servicemain"
	"tongdu/services/projects"
)

func main() { servicemain.Run(projects.Module()) }
