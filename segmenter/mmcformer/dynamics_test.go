package mmcformer

import (
	"context"
	"testing"
)

// TestPH2Dynamics runs a few optimisation steps on a real dermoscopy image
// at S = 129 (the smallest size with a 4×4 intra patch grid): the loss
// falls and the number of labels drops, as in the reference's recorded runs
// (method doc §5, §5.1).
func TestPH2Dynamics(t *testing.T) {
	if testing.Short() {
		t.Skip("five optimisation steps at S = 129")
	}
	img := loadPH2(t, "IMD021")
	cfg := DefaultConfig()
	cfg.Size, cfg.MaxIter, cfg.MinLabels = 129, 5, 0
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Segment(context.Background(), img, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Steps[0], res.Steps[len(res.Steps)-1]
	for _, s := range res.Steps {
		t.Logf("step %d: %3d labels, loss %.4f (CE %.4f, intra %.4f, inter %.4f)", s.Iter, s.Labels, s.Total, s.CE, s.Intra, s.Inter)
	}
	if first.Labels < 80 {
		t.Errorf("%d labels at initialisation, want nearly all 100", first.Labels)
	}
	if !(last.Total < first.Total/2) || !(last.CE < first.CE) || !(last.Inter < first.Inter) {
		t.Errorf("loss did not fall: first %+v, last %+v", first.Losses, last.Losses)
	}
	if last.Labels > first.Labels/2 {
		t.Errorf("labels %d → %d, want at least halved in %d steps", first.Labels, last.Labels, len(res.Steps))
	}
}
