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
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

func main() {
	// One P more than the host allows (it sets GOMAXPROCS to the threads
	// of a job) where the model's products run in cgo calls; the model
	// computes on its own Threads goroutines either way (see package
	// mmcformer).
	mmcformer.UseSpareP()
	sdk.Serve(&plugin{})
}
