package segmenter

import "math"

// LayerNorm normalises each of the rows of x (rows×f, contiguous) over its f
// features: y = (x − mean)/√(var + eps)·gamma + beta, var biased. It stores
// each row's mean and 1/√(var + eps) in mean and rstd for the backward
// pass. y may alias x.
func LayerNorm[T Float](e *Engine, rows, f int, x, gamma, beta []T, eps float64, y, mean, rstd []T) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			mean[i], rstd[i] = layerNormRow(x[i*f:(i+1)*f], gamma, beta, eps, y[i*f:(i+1)*f])
		}
	})
}

// layerNormRow normalises one row (y may alias x), accumulating in float64.
func layerNormRow[T Float](x, gamma, beta []T, eps float64, y []T) (mean, rstd T) {
	n := len(x)
	gamma, beta, y = gamma[:n], beta[:n], y[:n]
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	mu := s / float64(n)
	var q float64
	for _, v := range x {
		d := float64(v) - mu
		q += d * d
	}
	r := 1 / math.Sqrt(q/float64(n)+eps)
	m, rs := T(mu), T(r)
	for j, v := range x {
		y[j] = (v-m)*rs*gamma[j] + beta[j]
	}
	return m, rs
}

// LayerNormBackward is LayerNorm's backward pass from the saved mean and
// rstd: dx = rstd·(g − mean(g) − x̂·mean(g⊙x̂)) with g = dy⊙gamma and x̂ the
// normalised x; with accumulate dx += instead. It adds Σ dy⊙x̂ to dgamma and
// Σ dy to dbeta. dx may alias dy only without accumulate.
func LayerNormBackward[T Float](e *Engine, rows, f int, x, gamma, mean, rstd, dy, dx []T, accumulate bool, dgamma, dbeta []T) {
	acc := e.accumulators(2 * f)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w]
		for i := lo; i < hi; i++ {
			layerNormRowBackward(x[i*f:(i+1)*f], gamma, mean[i], rstd[i], dy[i*f:(i+1)*f], dx[i*f:(i+1)*f], accumulate, a[:f], a[f:2*f])
		}
	})
	reduceInto(dgamma[:f], acc, p)
	for w := range p {
		acc[w] = acc[w][f:]
	}
	reduceInto(dbeta[:f], acc, p)
}

// layerNormRowBackward does one row of LayerNormBackward, adding the
// parameter gradients to dg and db.
func layerNormRowBackward[T Float](x, gamma []T, mean, rstd T, dy, dx []T, accumulate bool, dg, db []float64) {
	n := len(x)
	gamma, dy, dx, dg, db = gamma[:n], dy[:n], dx[:n], dg[:n], db[:n]
	var sg, sgx float64
	for j, v := range x {
		xh := (v - mean) * rstd
		g := dy[j] * gamma[j]
		sg += float64(g)
		sgx += float64(g) * float64(xh)
		dg[j] += float64(dy[j]) * float64(xh)
		db[j] += float64(dy[j])
	}
	mg, mgx := T(sg/float64(n)), T(sgx/float64(n))
	for j, v := range x {
		xh := (v - mean) * rstd
		d := rstd * (dy[j]*gamma[j] - mg - xh*mgx)
		if accumulate {
			dx[j] += d
		} else {
			dx[j] = d
		}
	}
}

// BatchNorm is train-mode batch normalisation of x (rows×c, contiguous) per
// channel over the rows, with the batch's own mean and biased variance:
// xhat = (x − mean)·rstd, rstd = 1/√(var + eps), y = gamma⊙xhat + beta. It
// stores xhat (which may alias x) and rstd for the backward pass; y may be
// nil. Running statistics are not kept: mmcseg's models never leave train
// mode, like the reference.
func BatchNorm[T Float](e *Engine, rows, c int, x, gamma, beta []T, eps float64, xhat, y, rstd []T) {
	acc := e.accumulators(c)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w][:c]
		for i := lo; i < hi; i++ {
			for j, v := range x[i*c : (i+1)*c] {
				a[j] += float64(v)
			}
		}
	})
	m := vector[T](e, c)
	for j := range m {
		var s float64
		for w := range p {
			s += acc[w][j]
		}
		m[j] = T(s / float64(rows))
	}
	acc = e.accumulators(c)
	e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w][:c]
		for i := lo; i < hi; i++ {
			for j, v := range x[i*c : (i+1)*c] {
				d := float64(v - m[j])
				a[j] += d * d
			}
		}
	})
	for j := range c {
		var q float64
		for w := range p {
			q += acc[w][j]
		}
		rstd[j] = T(1 / math.Sqrt(q/float64(rows)+eps))
	}
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xr, hr := x[i*c:(i+1)*c], xhat[i*c:(i+1)*c]
			for j, v := range xr {
				hr[j] = (v - m[j]) * rstd[j]
			}
			if y != nil {
				yr := y[i*c : (i+1)*c]
				for j, v := range hr {
					yr[j] = gamma[j]*v + beta[j]
				}
			}
		}
	})
}

// BatchNormAffine sets y = gamma⊙xhat + beta (recomputing BatchNorm's
// output from its saved xhat).
func BatchNormAffine[T Float](e *Engine, rows, c int, xhat, gamma, beta, y []T) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			hr, yr := xhat[i*c:(i+1)*c], y[i*c:(i+1)*c]
			for j, v := range hr {
				yr[j] = gamma[j]*v + beta[j]
			}
		}
	})
}

// BatchNormBackward is BatchNorm's backward pass from the saved xhat and
// rstd: dx = gamma·rstd·(dy − mean(dy) − xhat·mean(dy⊙xhat)) per channel.
// It adds Σ dy⊙xhat to dgamma and Σ dy to dbeta. dx may alias dy.
func BatchNormBackward[T Float](e *Engine, rows, c int, xhat, gamma, rstd, dy, dx, dgamma, dbeta []T) {
	acc := e.accumulators(2 * c)
	p := e.For(rows, rowGrain, func(w, lo, hi int) {
		a := acc[w]
		sg, sgx := a[:c], a[c:2*c]
		for i := lo; i < hi; i++ {
			hr, gr := xhat[i*c:(i+1)*c], dy[i*c:(i+1)*c]
			for j, g := range gr {
				sg[j] += float64(g)
				sgx[j] += float64(g) * float64(hr[j])
			}
		}
	})
	k := vector[T](e, 3*c)
	for j := range c {
		var sg, sgx float64
		for w := range p {
			sg += acc[w][j]
			sgx += acc[w][c+j]
		}
		dbeta[j] += T(sg)
		dgamma[j] += T(sgx)
		k[j] = gamma[j] * rstd[j]         // scale
		k[c+j] = T(sg / float64(rows))    // mean(dy)
		k[2*c+j] = T(sgx / float64(rows)) // mean(dy⊙xhat)
	}
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			hr, gr, dr := xhat[i*c:(i+1)*c], dy[i*c:(i+1)*c], dx[i*c:(i+1)*c]
			for j, g := range gr {
				dr[j] = k[j] * (g - k[c+j] - hr[j]*k[2*c+j])
			}
		}
	})
}
