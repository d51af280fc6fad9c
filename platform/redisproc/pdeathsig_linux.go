package redisproc

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel kill the server if this process dies without
// stopping it (a crashed test binary must not leave servers behind).
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
