package mmcformer

import (
	"math"
	"testing"
)

// TestInitSanity checks the method doc's §5.1 values at initialisation on a
// real PH2 image at the default size: logits [C][S][S] with nearly every
// label present, an unweighted cross-entropy a little under ln 100 (the
// target is the arg-max), near-orthogonal contexts (inter ≈ 1) and a nearly
// uniform intra attention (intra ≈ 126/4096 = 0.0308).
func TestInitSanity(t *testing.T) {
	if testing.Short() {
		t.Skip("one forward pass at S = 257")
	}
	img := loadPH2(t, "IMD004")
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	nt := m.nt
	for ch := range m.planes {
		resizeBilinear(img.Planes[ch], img.Width, img.Height, m.planes[ch], nt.s, nt.s)
	}
	nt.setInput(m.planes)
	nt.forward()
	labels := nt.loss(false)
	l := nt.losses
	t.Logf("labels %d, losses %+v", labels, l)
	if labels < 90 || labels > 100 {
		t.Errorf("labels at init = %d, want 90..100 (reference 98–100)", labels)
	}
	if !(l.CE > 3.4 && l.CE < math.Log(100)) {
		t.Errorf("cross-entropy at init = %g, want a little under ln 100 (reference 3.6–3.8)", l.CE)
	}
	if math.Abs(l.Inter-1) > 0.1 {
		t.Errorf("inter loss at init = %g, want ≈ 1", l.Inter)
	}
	if math.Abs(l.Intra-126.0/4096) > 0.004 {
		t.Errorf("intra loss at init = %g, want ≈ 0.0308", l.Intra)
	}
	if want := l.CE + 1.3*l.Intra + 1.5*l.Inter; math.Abs(l.Total-want) > 1e-12 {
		t.Errorf("total %g, want %g", l.Total, want)
	}
}
