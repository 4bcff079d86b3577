package mmcformer_test

import (
	"context"
	"fmt"

	"github.com/mmcseg/mmcseg/segmenter/mmcformer"
)

func ExampleModel_Segment() {
	cfg := mmcformer.DefaultConfig()           // the reference's settings, S = 257
	cfg.Size, cfg.Dim, cfg.Clusters = 65, 8, 8 // small, for the example's speed
	cfg.MaxIter, cfg.Threads = 3, 2
	m, err := mmcformer.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	// A 40×30 grey gradient: the three planes (B, G, R) are the same.
	img := mmcformer.Image{Width: 40, Height: 30}
	grey := make([]float32, 40*30)
	for i := range grey {
		grey[i] = float32(i%40) / 40
	}
	img.Planes = [3][]float32{grey, grey, grey}

	res, err := m.Segment(context.Background(), img, func(s mmcformer.Step) {
		fmt.Printf("step %d\n", s.Iter)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d×%d working map, %d×%d input map\n", res.Size, res.Size, res.Width, res.Height)
	// Output:
	// step 0
	// step 1
	// step 2
	// 65×65 working map, 40×30 input map
}
