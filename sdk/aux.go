package sdk

import (
	"fmt"
	"regexp"
	"slices"

	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// Names of auxiliary label maps with a documented meaning. A plugin lists
// the ones it can produce in Description.AuxMaps; a host asks for them with
// SeriesInfo.WantAux and finds them in Mask.Aux.
const (
	// AuxClusters is the unsupervised cluster map a mask was chosen from,
	// at the mask's size. Labels 0..C−1 are arbitrary cluster ids; 0 is a
	// cluster like any other, not background.
	AuxClusters = "clusters"
	// AuxClustersWork is the same clustering at the plugin's working size
	// (for MMCFormer the S×S map the network computes), of any size.
	AuxClustersWork = "clusters@work"
)

// auxNameRE is the form of an auxiliary map name.
var auxNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9@._-]*$`)

// LabelMap is an auxiliary label map that comes with a mask: something the
// plugin computed on the way to it (a cluster map, say), for evaluation and
// analysis. Hosts do not write it to SEG or NIfTI.
type LabelMap struct {
	Name          string
	Rows, Columns int
	// Labels holds Rows×Columns labels, row-major.
	Labels []uint8
}

// WantsAux reports whether the host asked for the auxiliary map name with
// the masks of this series. Sessions call it to decide what to attach to
// Mask.Aux.
func (s SeriesInfo) WantsAux(name string) bool { return slices.Contains(s.WantAux, name) }

// AuxMap returns the auxiliary map called name, or false when the mask has
// none of that name.
func (m Mask) AuxMap(name string) (LabelMap, bool) {
	for _, a := range m.Aux {
		if a.Name == name {
			return a, true
		}
	}
	return LabelMap{}, false
}

// checkAux checks a mask's auxiliary maps against the names asked for:
// only those, each once, each of a positive size within MaxSliceBytes
// whose labels fill it exactly.
func checkAux(aux []LabelMap, wanted []string) error {
	seen := map[string]bool{}
	for _, a := range aux {
		if !slices.Contains(wanted, a.Name) {
			return fmt.Errorf("auxiliary map %q was not asked for (asked: %q)", a.Name, wanted)
		}
		if seen[a.Name] {
			return fmt.Errorf("auxiliary map %q sent twice", a.Name)
		}
		seen[a.Name] = true
		if a.Rows <= 0 || a.Columns <= 0 || int64(a.Rows)*int64(a.Columns) > MaxSliceBytes {
			return fmt.Errorf("auxiliary map %q has size %d×%d", a.Name, a.Columns, a.Rows)
		}
		if len(a.Labels) != a.Rows*a.Columns {
			return fmt.Errorf("auxiliary map %q is %d×%d with %d labels", a.Name, a.Columns, a.Rows, len(a.Labels))
		}
	}
	return nil
}

func auxToPB(aux []LabelMap) []*pb.LabelMap {
	if len(aux) == 0 {
		return nil
	}
	out := make([]*pb.LabelMap, len(aux))
	for i, a := range aux {
		out[i] = &pb.LabelMap{Name: a.Name, Rows: nonNeg(a.Rows), Columns: nonNeg(a.Columns), Labels: a.Labels}
	}
	return out
}

func auxFromPB(aux []*pb.LabelMap) []LabelMap {
	if len(aux) == 0 {
		return nil
	}
	out := make([]LabelMap, len(aux))
	for i, a := range aux {
		out[i] = LabelMap{Name: a.GetName(), Rows: int(a.GetRows()), Columns: int(a.GetColumns()), Labels: a.GetLabels()}
	}
	return out
}
