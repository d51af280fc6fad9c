package datadir_test

import (
	"errors"
	"testing"

	"tongdu/platform/datadir"
)

// One holder at a time; released, the dir can be taken again.
func TestOneHolderAtATime(t *testing.T) {
	dir := t.TempDir()
	release, err := datadir.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := datadir.Lock(dir); !errors.Is(err, datadir.ErrInUse) {
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	release()
	again, err := datadir.Lock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
}
