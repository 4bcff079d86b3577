// Command mmcseg-plugin-kmeans is the k-means baseline of the MMCFormer
// paper as an mmcseg segmenter plugin: each slice's pixels are clustered by
// intensity (CT, in HU) or colour (RGB photographs) with k-means, and the
// foreground cluster is chosen without ground truth by the rule MMCFormer
// uses too (package segmenter/foreground): the lungs for CT, the darkest
// non-border region for colour photographs such as dermoscopy.
package main

import "github.com/mmcseg/mmcseg/sdk"

func main() { sdk.Serve(plugin{}) }
