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

// layerNormRow normalises one row (y may alias x): two passes for the
// statistics, then the affine map.
func layerNormRow[T Float](x, gamma, beta []T, eps float64, y []T) (mean, rstd T) {
	n := float64(len(x))
	m := T(vSum(x) / n)
	rs := T(1 / math.Sqrt(vSqDevSum(x, m)/n+eps))
	vLNApply(x, y, gamma, beta, m, rs)
	return m, rs
}

// LayerNormBackward is LayerNorm's backward pass from the saved mean and
// rstd: dx = rstd·(g − mean(g) − x̂·mean(g⊙x̂)) with g = dy⊙gamma and x̂ the
// normalised x; with accumulate dx += instead. It adds Σ dy⊙x̂ to dgamma and
// Σ dy to dbeta. dx may alias dy only without accumulate.
func LayerNormBackward[T Float](e *Engine, rows, f int, x, gamma, mean, rstd, dy, dx []T, accumulate bool, dgamma, dbeta []T) {
	acc, p := rowPartials(e, rows, 2*f, rowGrain, func(a []T, i int) {
		layerNormRowBackward(x[i*f:(i+1)*f], gamma, mean[i], rstd[i], dy[i*f:(i+1)*f], dx[i*f:(i+1)*f], accumulate, a[:f], a[f:])
	})
	reduceInto(dgamma[:f], acc, p)
	reduceIntoAt(dbeta[:f], acc, p, f)
}

// layerNormRowBackward does one row of LayerNormBackward, adding the
// parameter gradients to the row accumulators dg and db.
func layerNormRowBackward[T Float](x, gamma []T, mean, rstd T, dy, dx []T, accumulate bool, dg, db []T) {
	n := float64(len(x))
	sg, sgx := vLNBack1(x, dy, gamma, dg, db, mean, rstd)
	vLNBack2(x, dy, gamma, dx, mean, rstd, T(sg/n), T(sgx/n), accumulate)
}

// BatchNorm is train-mode batch normalisation of x (rows×c, contiguous) per
// channel over the rows, with the batch's own mean and biased variance:
// xhat = (x − mean)·rstd, rstd = 1/√(var + eps), y = gamma⊙xhat + beta. It
// stores xhat (which may alias x) and rstd for the backward pass; y may be
// nil. Running statistics are not kept: mmcseg's models never leave train
// mode, like the reference.
func BatchNorm[T Float](e *Engine, rows, c int, x, gamma, beta []T, eps float64, xhat, y, rstd []T) {
	sum := e.sums(c)
	ColSums64(e, rows, c, x, c, sum)
	BatchNormSums(e, rows, c, x, sum, gamma, beta, eps, xhat, y, rstd)
}

// BatchNormSums is BatchNorm given sum, x's column sums in float64 (for
// callers that accumulate them while producing x).
func BatchNormSums[T Float](e *Engine, rows, c int, x []T, sum []float64, gamma, beta []T, eps float64, xhat, y, rstd []T) {
	m := vector[T](e, c)
	for j := range m {
		m[j] = T(sum[j] / float64(rows))
	}
	acc, p := rowPartials(e, rows, c, rowGrain, func(a []T, i int) {
		vSqDevAcc(a, x[i*c:(i+1)*c], m)
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
			var yr []T
			if y != nil {
				yr = y[i*c : (i+1)*c]
			}
			vBNApply(x[i*c:(i+1)*c], xhat[i*c:(i+1)*c], yr, m, rstd, gamma, beta)
		}
	})
}

// BatchNormAffine sets y = gamma⊙xhat + beta (recomputing BatchNorm's
// output from its saved xhat).
func BatchNormAffine[T Float](e *Engine, rows, c int, xhat, gamma, beta, y []T) {
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			yr := y[i*c : (i+1)*c]
			copy(yr, beta[:c])
			vFMA(yr, gamma, xhat[i*c:(i+1)*c])
		}
	})
}

// BatchNormBackward is BatchNorm's backward pass from the saved xhat and
// rstd: dx = gamma·rstd·(dy − mean(dy) − xhat·mean(dy⊙xhat)) per channel.
// It adds Σ dy⊙xhat to dgamma and Σ dy to dbeta. dx may alias dy.
func BatchNormBackward[T Float](e *Engine, rows, c int, xhat, gamma, rstd, dy, dx, dgamma, dbeta []T) {
	acc, p := rowPartials(e, rows, 2*c, rowGrain, func(a []T, i int) {
		g := dy[i*c : (i+1)*c]
		vAdd(a[:c], g)
		vFMA(a[c:], g, xhat[i*c:(i+1)*c])
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
	k0, k1, k2 := k[:c], k[c:2*c], k[2*c:]
	e.For(rows, rowGrain, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vBNBackApply(xhat[i*c:(i+1)*c], dy[i*c:(i+1)*c], dx[i*c:(i+1)*c], k0, k1, k2)
		}
	})
}
