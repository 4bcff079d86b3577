// Command mmcseg-plugin-kmeans is the k-means baseline of the MMCFormer
// paper as an mmcseg segmenter plugin: each slice's pixels are clustered by
// intensity (CT, in HU) or colour (RGB photographs) with k-means, and the
// foreground cluster is chosen without ground truth by the rule MMCFormer
// uses too (package segmenter/foreground): the lungs for CT (low-density
// clusters inside the body, without the airways), the darker clusters
// inside the field of view for colour photographs such as dermoscopy. The
// slices are prepared by package segmenter/prep (CT through a window).
package main

import "github.com/mmcseg/mmcseg/sdk"

func main() { sdk.Serve(plugin{}) }
