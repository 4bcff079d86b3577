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
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

func main() {
	// Where the model's products run in OpenBLAS (cgo), one P more than
	// the host allows (the host sets GOMAXPROCS to the threads of a job)
	// stops the runtime's monitor from taking the Ps back at each of its
	// 20 µs ticks: steps 1–5 % faster. Where they run on the AVX-512
	// kernels the spare P only spins next to the model's threads. The
	// model computes on its own Threads goroutines either way, so no more
	// work runs at once (see package mmcformer).
	if mmcformer.SpareP() {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	sdk.Serve(&plugin{})
}
