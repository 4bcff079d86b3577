package segmenter

import "unsafe"

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
	pk := dwPack(e, c, wt, b, addInput)
	e.For(h, 2, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			dwconvRow(w, c, imageRows(h, w, c, r, x), wt, b, y[r*w*c:(r+1)*w*c], addInput, pk)
		}
	})
}

// imageRows returns rows r−1, r and r+1 of the h×w map x of c channels
// (channel-last), nil for rows outside the map.
func imageRows[T Float](h, w, c, r int, x []T) [3][]T {
	var rows [3][]T
	for k := range 3 {
		if y := r + k - 1; y >= 0 && y < h {
			rows[k] = x[y*w*c : (y+1)*w*c]
		}
	}
	return rows
}

// dwPack packs the depth-wise weights for the AVX kernels, per 8-channel
// chunk [c/8][10][8]: the bias (zero when b is nil), then the 9 taps, with 1
// added to the centre tap when skip (so that the skip costs nothing). Three
// zero pixels of c follow, for taps outside the image (the three-pixel
// kernel steps every tap by c). It returns nil when the
// AVX kernels do not apply.
func dwPack[T Float](e *Engine, c int, wt, b []T, skip bool) []float32 {
	if !is32[T]() || !useAVX || c%8 != 0 {
		return nil
	}
	n := 10*c + 3*c
	if cap(e.dwPk) < n {
		e.dwPk = make([]float32, n)
	}
	pk := e.dwPk[:n]
	w32 := unsafe.Slice(p32(wt), 9*c)
	for j := 0; j < c; j += 8 {
		chunk := pk[j*10 : j*10+80]
		if b != nil {
			copy(chunk[:8], unsafe.Slice(p32(b[j:]), 8))
		} else {
			clear(chunk[:8])
		}
		for t := range 9 {
			copy(chunk[8+8*t:16+8*t], w32[t*c+j:t*c+j+8])
			if skip && t == 4 {
				for l := range 8 {
					chunk[8+8*t+l]++
				}
			}
		}
	}
	clear(pk[10*c:])
	return pk
}

// dwThree lets the row kernels take three pixels at a time (their results
// are the same either way; BenchmarkDWConv compares the two).
var dwThree = true

// dwRun is how many pixels the AVX row kernels take from column xx of a
// row of w: three where none of their taps leaves the row sideways (rows
// outside the image read the zero pixels), else one.
func dwRun(xx, w int) int {
	if dwThree && xx >= 1 && xx+3 < w {
		return 3
	}
	return 1
}

// dwPixels runs dwPixelAVX on n = 1 or 3 pixels.
func dwPixels(n int, o *float32, taps *[9]*float32, wp *float32, c int) {
	if n == 3 {
		dwPixel3AVX(o, taps, wp, c)
	} else {
		dwPixelAVX(o, taps, wp, c)
	}
}

// dwGradPixels runs dwGradPixelAVX on n = 1 or 3 pixels.
func dwGradPixels(n int, acc, gr *float32, taps *[9]*float32, c int) {
	if n == 3 {
		dwGradPixel3AVX(acc, gr, taps, c)
	} else {
		dwGradPixelAVX(acc, gr, taps, c)
	}
}

// dwconvRow computes one output image row of DWConv3x3 into out (w·c)
// from the input rows above, at and below it (rows[0..2], nil outside the
// image), with the AVX kernel when pk (from dwPack) is not nil.
func dwconvRow[T Float](w, c int, rows [3][]T, wt, b, out []T, addInput bool, pk []float32) {
	if pk != nil {
		zero := &pk[10*c]
		for xx := 0; xx < w; {
			n := dwRun(xx, w)
			var taps [9]*float32
			for ky, row := range rows {
				for kx := range 3 {
					ix := xx + kx - 1
					if row == nil || ix < 0 || ix >= w {
						taps[ky*3+kx] = zero
					} else {
						taps[ky*3+kx] = p32(row[ix*c:])
					}
				}
			}
			dwPixels(n, p32(out[xx*c:]), &taps, &pk[0], c)
			xx += n
		}
		return
	}
	b = b[:c]
	for xx := range w {
		o := out[xx*c : (xx+1)*c]
		copy(o, b)
		if addInput {
			vAdd(o, rows[1][xx*c:(xx+1)*c])
		}
		for ky, row := range rows {
			if row == nil {
				continue
			}
			for kx := range 3 {
				ix := xx + kx - 1
				if ix < 0 || ix >= w {
					continue
				}
				vFMA(o, wt[(ky*3+kx)*c:(ky*3+kx+1)*c], row[ix*c:(ix+1)*c])
			}
		}
	}
}

// DWConv3x3Backward is DWConv3x3's backward pass: it sets dx to the
// transposed convolution of dy, plus dy itself with skip (the gradient
// through addInput), plus dx's previous contents with accumulate; and it
// adds the weight and bias gradients to dw ([9][c]) and db ([c]).
func DWConv3x3Backward[T Float](e *Engine, h, w, c int, x, wt, dy, dx []T, accumulate, skip bool, dw, db []T) {
	var pk []float32
	if !accumulate {
		pk = dwPack[T](e, c, wt, nil, skip)
	}
	acc := e.accumulators(10 * c)
	part := workerRows[T](e, 10*c)
	p := e.For(h, 2, func(wk, lo, hi int) {
		a := part[wk]
		clear(a)
		for r := lo; r < hi; r++ {
			dwconvRowBackward(w, c, imageRows(h, w, c, r, x), imageRows(h, w, c, r, dy), wt, dx[r*w*c:(r+1)*w*c], accumulate, skip, a, pk)
			if pk != nil {
				flushPacked(acc[wk], unsafe.Slice(p32(a), 10*c), c)
			} else {
				flush(acc[wk], a)
			}
		}
	})
	reduceInto(dw[:9*c], acc, p)
	reduceIntoAt(db[:c], acc, p, 9*c)
}

// flushPacked adds an accumulator in dwPack's layout to a64 ([9][c] weight
// gradients, then [c] bias) and zeroes it.
func flushPacked(a64 []float64, a []float32, c int) {
	for j := 0; j < c; j += 8 {
		chunk := a[j*10 : j*10+80]
		for l, v := range chunk[:8] {
			a64[9*c+j+l] += float64(v)
		}
		for t := range 9 {
			for l, v := range chunk[8+8*t : 16+8*t] {
				a64[t*c+j+l] += float64(v)
			}
		}
	}
	clear(a)
}

// dwconvRowBackward computes one input row r of the transposed depth-wise
// convolution into dxr and adds the weight and bias gradients of output
// row r to a: [9·c] then [c], or dwPack's layout when pk is not nil (the
// AVX kernels; then neither accumulate nor Go loops apply). xr and dyr are
// rows r−1, r, r+1 of the input and of the output gradient (nil outside
// the image).
func dwconvRowBackward[T Float](w, c int, xr, dyr [3][]T, wt, dxr []T, accumulate, skip bool, a []T, pk []float32) {
	if pk != nil {
		zero := &pk[10*c]
		a32 := p32(a)
		for xx := 0; xx < w; {
			n := dwRun(xx, w)
			// Input pixel (r, xx) is read by output (r+1−ky, xx+1−kx) through tap (ky, kx).
			var taps [9]*float32
			for ky := range 3 {
				row := dyr[2-ky]
				for kx := range 3 {
					ox := xx + 1 - kx
					if row == nil || ox < 0 || ox >= w {
						taps[ky*3+kx] = zero
					} else {
						taps[ky*3+kx] = p32(row[ox*c:])
					}
				}
			}
			dwPixels(n, p32(dxr[xx*c:]), &taps, &pk[0], c)
			// Output pixel (r, xx) reads input (r+ky−1, xx+kx−1) through tap (ky, kx).
			for ky, row := range xr {
				for kx := range 3 {
					ix := xx + kx - 1
					if row == nil || ix < 0 || ix >= w {
						taps[ky*3+kx] = zero
					} else {
						taps[ky*3+kx] = p32(row[ix*c:])
					}
				}
			}
			dwGradPixels(n, a32, p32(dyr[1][xx*c:]), &taps, c)
			xx += n
		}
		return
	}
	dy := dyr[1]
	for xx := range w {
		d := dxr[xx*c : (xx+1)*c]
		switch {
		case skip && accumulate:
			vAdd(d, dy[xx*c:(xx+1)*c])
		case skip:
			copy(d, dy[xx*c:(xx+1)*c])
		case !accumulate:
			clear(d)
		}
		for ky := range 3 {
			row := dyr[2-ky]
			if row == nil {
				continue
			}
			for kx := range 3 {
				ox := xx + 1 - kx
				if ox < 0 || ox >= w {
					continue
				}
				vFMA(d, wt[(ky*3+kx)*c:(ky*3+kx+1)*c], row[ox*c:(ox+1)*c])
			}
		}
	}
	// Parameter gradients of output row r.
	bias := a[9*c : 10*c]
	for xx := range w {
		g := dy[xx*c : (xx+1)*c]
		vAdd(bias, g)
		for ky, row := range xr {
			if row == nil {
				continue
			}
			for kx := range 3 {
				ix := xx + kx - 1
				if ix < 0 || ix >= w {
					continue
				}
				vFMA(a[(ky*3+kx)*c:(ky*3+kx+1)*c], g, row[ix*c:(ix+1)*c])
			}
		}
	}
}
