package main

import (
	"github.com/mmcseg/mmcseg/sdk"
	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

// auxMaps are the auxiliary label maps the plugin attaches to its masks
// when the host asks (sdk.Description.AuxMaps).
var auxMaps = []string{sdk.AuxClusters, sdk.AuxClustersWork}

// clusterMaps returns the cluster maps the host asked for with a slice's
// mask: "clusters" is the read-out's label map at the slice's size (the map
// the foreground rule chose from), "clusters@work" the S×S arg-max map the
// network computed (the map the authors' evaluation uses). Labels are
// channel indices 0..Clusters−1.
func clusterMaps(info sdk.SeriesInfo, res *mmcformer.Result) []sdk.LabelMap {
	var out []sdk.LabelMap
	if info.WantsAux(sdk.AuxClusters) {
		out = append(out, sdk.LabelMap{Name: sdk.AuxClusters, Rows: res.Height, Columns: res.Width, Labels: res.InputLabels})
	}
	if info.WantsAux(sdk.AuxClustersWork) {
		out = append(out, sdk.LabelMap{Name: sdk.AuxClustersWork, Rows: res.Size, Columns: res.Size, Labels: res.Labels})
	}
	return out
}
