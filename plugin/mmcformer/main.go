// Command mmcseg-plugin-mmcformer is MMCFormer (MS-Former) as an mmcseg
// segmenter plugin: each slice is segmented by optimising the dual-scale
// transformer of package segmenter/mmcformer afresh on it (method doc §5),
// reading out its label map at the slice's size, and choosing the
// foreground cluster without ground truth by the rule the kmeans plugin
// uses too (package segmenter/foreground): the lungs for CT, the darkest
// non-border region for photographs such as dermoscopy.
package main

import "github.com/mmcseg/mmcseg/sdk"

func main() { sdk.Serve(&plugin{}) }
