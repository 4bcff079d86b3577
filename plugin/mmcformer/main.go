// Command mmcseg-plugin-mmcformer is MMCFormer (MS-Former) as an mmcseg
// segmenter plugin: each slice is segmented by optimising the dual-scale
// transformer of package segmenter/mmcformer afresh on it (method doc §5),
// reading out its label map at the slice's size, and choosing the
// foreground cluster without ground truth by the rule the kmeans plugin
// uses too (package segmenter/foreground): the lungs for CT (low-density
// clusters inside the body, without the airways), the darker clusters
// inside the field of view for photographs such as dermoscopy. The slices
// are prepared by package segmenter/prep (CT through a window), and a CT
// series continues each slice from the previous slice's trained weights
// (warm start) with a smaller iteration budget.
package main

import (
	"runtime"

	"github.com/mmcseg/mmcseg/sdk"
)

func main() {
	// The model's threads spend most of a step inside OpenBLAS (cgo)
	// calls. While every P is in such a call the runtime's monitor takes
	// the Ps back at each of its 20 µs ticks and wakes threads that find
	// nothing to run: about 10 000 preemptions of the model's threads a
	// step at S = 257 on 2 CPUs. One P more than the host allows (the host
	// sets GOMAXPROCS to the threads of a job) leaves an idle P, which stops
	// that: 5 000 a step, and steps 1–5 % faster in 7 of 8 interleaved
	// comparisons. The model computes on its own Threads goroutines only,
	// so no more work runs at once than before.
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	sdk.Serve(&plugin{})
}
