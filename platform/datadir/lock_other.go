//go:build !unix

package datadir

import "os"

// Elsewhere than Unix the data dir is not locked.
func lock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
