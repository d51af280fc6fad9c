// Package datadir makes a data dir one process's own: a second Tongdu started on the same
// dir would start a second redis-server on the same append-only files, and the two would
// overwrite each other's writes.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the file in a data dir that its owner holds locked.
const LockFile = "tongdu.lock"

// ErrInUse is returned when another process holds the data dir.
var ErrInUse = errors.New("data dir in use")

// Lock takes dir for this process until release is called or the process ends (the
// kernel drops the lock of a process that died, so a crash leaves nothing to clean up).
// It creates dir if missing and touches nothing else in it.
func Lock(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lock(f); err != nil {
		owner, _ := os.ReadFile(path)
		_ = f.Close()
		who := "another process"
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(owner))); perr == nil {
			who = fmt.Sprintf("process %d", pid)
		}
		return nil, fmt.Errorf("%w: %s is used by %s (another tongdu?); stop it first, or give this one its own --data-dir", ErrInUse, dir, who)
	}
	// The owner's pid, for the message a second process prints.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { _ = unlock(f); _ = f.Close() }, nil
}
