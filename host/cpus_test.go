package host

import (
	"runtime"
	"testing"
)

func TestCPUShare(t *testing.T) {
	old := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(old)
	tests := []struct {
		jobs, threads int
		wantJ, wantT  int
		wantWarnings  int
	}{
		{0, 0, 1, 4, 0},
		{2, 0, 2, 2, 0},
		{3, 0, 3, 1, 0},
		{2, 2, 2, 2, 0},
		{1, 3, 1, 3, 0},
		{2, 3, 2, 2, 1},  // 6 threads on 4 CPUs
		{8, 0, 4, 1, 1},  // more jobs than CPUs
		{8, 2, 4, 1, 2},  // both lowered
		{1, 16, 1, 4, 1}, // one job asking for more than the machine
	}
	for _, tt := range tests {
		j, th, warn := cpuShare(tt.jobs, tt.threads)
		if j != tt.wantJ || th != tt.wantT || len(warn) != tt.wantWarnings {
			t.Errorf("cpuShare(%d, %d) = %d, %d, %q; want %d, %d and %d warnings",
				tt.jobs, tt.threads, j, th, warn, tt.wantJ, tt.wantT, tt.wantWarnings)
		}
		if j*th > 4 {
			t.Errorf("cpuShare(%d, %d): %d jobs × %d threads on 4 CPUs", tt.jobs, tt.threads, j, th)
		}
	}
}
