//go:build unix

package datadir

import (
	"os"
	"syscall"
)

// lock takes an exclusive lock without waiting: a second process is told at once.
func lock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
