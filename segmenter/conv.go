package segmenter

// Conv3x3 describes a 3×3 convolution with zero padding 1 over an H×W map
// of Cin channels (channel-last), producing Cout channels with the given
// stride (1 or 2). Weights are [Cout][9·Cin] with column (ky·3 + kx)·Cin +
// ci, matching the im2col layout; the bias is [Cout].
type Conv3x3 struct {
	H, W, Cin, Cout, Stride int
}

// OutH returns the output height, ⌊(H + 2 − 3)/stride⌋ + 1.
func (g Conv3x3) OutH() int { return (g.H-1)/g.Stride + 1 }

// OutW returns the output width.
func (g Conv3x3) OutW() int { return (g.W-1)/g.Stride + 1 }

// ColSize returns the number of elements of the im2col buffer.
func (g Conv3x3) ColSize() int { return g.OutH() * g.OutW() * 9 * g.Cin }

// Im2Col fills col ([OutH·OutW][9·Cin]) with the zero-padded 3×3
// neighbourhoods of x ([H·W][Cin]).
func Im2Col[T Float](e *Engine, g Conv3x3, x, col []T) {
	oh, ow, ci := g.OutH(), g.OutW(), g.Cin
	e.For(oh, 4, func(_, lo, hi int) {
		for oy := lo; oy < hi; oy++ {
			for ox := range ow {
				dst := col[(oy*ow+ox)*9*ci : (oy*ow+ox+1)*9*ci]
				for ky := range 3 {
					iy := oy*g.Stride + ky - 1
					for kx := range 3 {
						ix := ox*g.Stride + kx - 1
						d := dst[(ky*3+kx)*ci : (ky*3+kx+1)*ci]
						if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
							clear(d)
							continue
						}
						copy(d, x[(iy*g.W+ix)*ci:(iy*g.W+ix+1)*ci])
					}
				}
			}
		}
	})
}

// Conv3x3Forward computes y ([OutH·OutW][Cout]) from x through col, which it
// fills (Im2Col) and which the backward pass reuses.
func Conv3x3Forward[T Float](e *Engine, g Conv3x3, x, w, b, col, y []T) {
	Im2Col(e, g, x, col)
	Linear(e, g.OutH()*g.OutW(), 9*g.Cin, g.Cout, col, 9*g.Cin, w, b, y, g.Cout, false)
}

// Conv3x3Backward adds the weight and bias gradients to dw and db from col
// (as filled by the forward pass) and dy. When dx is not nil it also sets
// dx ([H·W][Cin]), using dcol (ColSize elements) as scratch.
func Conv3x3Backward[T Float](e *Engine, g Conv3x3, col, w, dy, dw, db, dx, dcol []T) {
	n, k := g.OutH()*g.OutW(), 9*g.Cin
	var dc []T
	if dx != nil {
		dc = dcol
	}
	LinearBackward(e, n, k, g.Cout, col, k, w, dy, g.Cout, dw, db, dc, k, false)
	if dx != nil {
		col2im(e, g, dcol, dx)
	}
}

// col2im sets dx to the sum, over every output pixel and tap that reads it,
// of the matching dcol entries (gathered per input row, so the parts are
// disjoint).
func col2im[T Float](e *Engine, g Conv3x3, dcol, dx []T) {
	oh, ow, ci, s := g.OutH(), g.OutW(), g.Cin, g.Stride
	e.For(g.H, 4, func(_, lo, hi int) {
		for iy := lo; iy < hi; iy++ {
			for ix := range g.W {
				d := dx[(iy*g.W+ix)*ci : (iy*g.W+ix+1)*ci]
				clear(d)
				for ky := range 3 {
					ny := iy + 1 - ky // = oy·s
					if ny < 0 || ny%s != 0 || ny/s >= oh {
						continue
					}
					oy := ny / s
					for kx := range 3 {
						nx := ix + 1 - kx
						if nx < 0 || nx%s != 0 || nx/s >= ow {
							continue
						}
						ox := nx / s
						src := dcol[(oy*ow+ox)*9*ci+(ky*3+kx)*ci : (oy*ow+ox)*9*ci+(ky*3+kx+1)*ci]
						for c, v := range src {
							d[c] += v
						}
					}
				}
			}
		}
	})
}

// DWConv3x3 is a depth-wise 3×3 convolution, stride 1, zero padding 1, over
// an h×w map of c channels (channel-last): y[p][ch] = b[ch] + Σ_tap
// w[tap][ch]·x[p + offset(tap)][ch], with w stored tap-major [9][c], tap =
// ky·3 + kx. With addInput it adds x itself to y as well (MixFFN's skip).
func DWConv3x3[T Float](e *Engine, h, w, c int, x, wt, b, y []T, addInput bool) {
	e.For(h, 2, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			dwconvRow(h, w, c, r, x, wt, b, y[r*w*c:(r+1)*w*c], addInput)
		}
	})
}

// dwconvRow computes output image row r of DWConv3x3 into out (w·c).
func dwconvRow[T Float](h, w, c, r int, x, wt, b, out []T, addInput bool) {
	b = b[:c]
	for xx := range w {
		o := out[xx*c : (xx+1)*c]
		copy(o, b)
		if addInput {
			in := x[(r*w+xx)*c : (r*w+xx+1)*c]
			for ch, v := range in {
				o[ch] += v
			}
		}
		for ky := range 3 {
			iy := r + ky - 1
			if iy < 0 || iy >= h {
				continue
			}
			for kx := range 3 {
				ix := xx + kx - 1
				if ix < 0 || ix >= w {
					continue
				}
				in := x[(iy*w+ix)*c : (iy*w+ix+1)*c]
				k := wt[(ky*3+kx)*c : (ky*3+kx+1)*c]
				for ch, v := range in {
					o[ch] += k[ch] * v
				}
			}
		}
	}
}

// DWConv3x3Backward is DWConv3x3's backward pass without the skip: it sets
// dx (dx += with accumulate) to the transposed convolution of dy, and adds
// the weight and bias gradients to dw ([9][c]) and db ([c]).
func DWConv3x3Backward[T Float](e *Engine, h, w, c int, x, wt, dy, dx []T, accumulate bool, dw, db []T) {
	acc := e.accumulators(10 * c)
	p := e.For(h, 2, func(wk, lo, hi int) {
		a := acc[wk]
		for r := lo; r < hi; r++ {
			dwconvRowBackward(h, w, c, r, x, wt, dy, dx[r*w*c:(r+1)*w*c], accumulate, a)
		}
	})
	reduceInto(dw[:9*c], acc, p)
	for wk := range p {
		acc[wk] = acc[wk][9*c:]
	}
	reduceInto(db[:c], acc, p)
}

// dwconvRowBackward computes input row r of the transposed depth-wise
// convolution into dxr and adds the weight (taps whose output lies in row
// r) and bias gradients of output row r to a ([9·c] then [c]).
func dwconvRowBackward[T Float](h, w, c, r int, x, wt, dy, dxr []T, accumulate bool, a []float64) {
	for xx := range w {
		d := dxr[xx*c : (xx+1)*c]
		if !accumulate {
			clear(d)
		}
		// Input pixel (r, xx) is read by output (r+1−ky, xx+1−kx) through tap (ky, kx).
		for ky := range 3 {
			oy := r + 1 - ky
			if oy < 0 || oy >= h {
				continue
			}
			for kx := range 3 {
				ox := xx + 1 - kx
				if ox < 0 || ox >= w {
					continue
				}
				g := dy[(oy*w+ox)*c : (oy*w+ox+1)*c]
				k := wt[(ky*3+kx)*c : (ky*3+kx+1)*c]
				for ch, v := range g {
					d[ch] += k[ch] * v
				}
			}
		}
	}
	// Parameter gradients of output row r, summed over the row in float64.
	for xx := range w {
		g := dy[(r*w+xx)*c : (r*w+xx+1)*c]
		bias := a[9*c : 10*c]
		for ch, v := range g {
			bias[ch] += float64(v)
		}
		for ky := range 3 {
			iy := r + ky - 1
			if iy < 0 || iy >= h {
				continue
			}
			for kx := range 3 {
				ix := xx + kx - 1
				if ix < 0 || ix >= w {
					continue
				}
				in := x[(iy*w+ix)*c : (iy*w+ix+1)*c]
				aw := a[(ky*3+kx)*c : (ky*3+kx+1)*c]
				for ch, v := range g {
					aw[ch] += float64(v) * float64(in[ch])
				}
			}
		}
	}
}
