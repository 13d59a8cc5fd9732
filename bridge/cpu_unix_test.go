//go:build unix

package bridge_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user and system),
// so a benchmark on a shared machine can report its own cost beside the
// elapsed time other programs stretch.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
