// Command survey runs the survey service alone, as deploy/ does; cmd/tongdu runs all four
// in one process instead.
package main

import (
	"tongdu/platform/servicemain"
	"tongdu/services/survey"
)

func main() { servicemain.Run(survey.Module()) }
