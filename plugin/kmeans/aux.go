package main

import (
	"github.com/mmcseg/mmcseg/sdk"
)

// auxMaps are the auxiliary label maps the plugin attaches to its masks
// when the host asks (sdk.Description.AuxMaps).
var auxMaps = []string{sdk.AuxClusters, sdk.AuxClustersWork}

// workSize is the side of the "clusters@work" map: the paper's working
// size S, so that an evaluation under the authors' protocol (which works
// at S×S) treats k-means and MMCFormer alike. k-means itself clusters at
// the slice's own size; this map is that clustering resampled.
const workSize = 257

// clusterMaps returns the cluster maps the host asked for: "clusters" is
// the k-means label map at the slice's size (clusters numbered by
// increasing centre, as package kmeans does), "clusters@work" the same map
// resampled to workSize×workSize by nearest neighbour with pixel-centre
// alignment (destination pixel d takes source pixel ⌊(d + ½)·src/dst⌋ on
// each axis).
func clusterMaps(info sdk.SeriesInfo, labels []uint8, rows, cols int) []sdk.LabelMap {
	var out []sdk.LabelMap
	if info.WantsAux(sdk.AuxClusters) {
		out = append(out, sdk.LabelMap{Name: sdk.AuxClusters, Rows: rows, Columns: cols, Labels: labels})
	}
	if info.WantsAux(sdk.AuxClustersWork) {
		out = append(out, sdk.LabelMap{Name: sdk.AuxClustersWork, Rows: workSize, Columns: workSize,
			Labels: resizeNearest(labels, cols, rows, workSize, workSize)})
	}
	return out
}

// resizeNearest resamples the sw×sh map src to dw×dh by nearest neighbour,
// pixel centres aligned.
func resizeNearest(src []uint8, sw, sh, dw, dh int) []uint8 {
	xs := make([]int, dw)
	for d := range xs {
		xs[d] = min((2*d+1)*sw/(2*dw), sw-1)
	}
	out := make([]uint8, dw*dh)
	for y := range dh {
		row := src[min((2*y+1)*sh/(2*dh), sh-1)*sw:]
		for x, sx := range xs {
			out[y*dw+x] = row[sx]
		}
	}
	return out
}
