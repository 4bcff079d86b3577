package host

import (
	"fmt"
	"runtime"
)

// cpuShare decides how many jobs run at once and how many threads each
// job's plugin gets, so that jobs × threads never exceeds the CPUs this
// process may use. Zero jobs means 1; zero threads means an equal share of
// the CPUs. It returns a warning for each request it had to lower.
func cpuShare(jobs, threads int) (j, t int, warnings []string) {
	// GOMAXPROCS follows the CPU affinity and, since Go 1.25, a
	// container's CPU limit: the CPUs this process may really use.
	cpus := runtime.GOMAXPROCS(0)
	j = max(jobs, 1)
	if j > cpus {
		warnings = append(warnings, fmt.Sprintf("--jobs %d lowered to %d, the number of CPUs", j, cpus))
		j = cpus
	}
	t = threads
	share := max(1, cpus/j)
	if t == 0 {
		t = share
	} else if j*t > cpus {
		warnings = append(warnings, fmt.Sprintf("--threads %d lowered to %d so that %d jobs do not use more than the %d CPUs", t, share, j, cpus))
		t = share
	}
	return j, t, warnings
}
