package segmenter

import "math"

// ArgmaxRows sets labels[i] to the index of the largest of the cols entries
// of row i of x (stride ld), the lowest index on ties, and returns the
// number of distinct labels.
func ArgmaxRows[T Float](e *Engine, rows, cols int, x []T, ld int, labels []int32) int {
	e.For(rows, 1024, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := x[i*ld : i*ld+cols]
			best, bv := 0, row[0]
			for j, v := range row {
				if v > bv {
					best, bv = j, v
				}
			}
			labels[i] = int32(best)
		}
	})
	return CountLabels(labels[:rows], cols)
}

// CountLabels returns the number of distinct values in labels, all in
// [0, n).
func CountLabels(labels []int32, n int) int {
	var seen [256]bool
	var big []bool
	if n > len(seen) {
		big = make([]bool, n)
	}
	k := 0
	for _, l := range labels {
		s := &seen[l&255]
		if big != nil {
			s = &big[l]
		}
		if !*s {
			*s = true
			k++
		}
	}
	return k
}

// CrossEntropy returns the mean over the rows of −log softmax(x_i)[labels_i]
// for the rows×cols logits x (stride ld) and, when dx is not nil, sets dx
// (stride ld) to its gradient times scale: scale·(softmax(x_i) −
// onehot(labels_i))/rows.
func CrossEntropy[T Float](e *Engine, rows, cols int, x []T, ld int, labels []int32, scale float64, dx []T) float64 {
	acc := e.accumulators(1)
	tmp := workerRows[T](e, cols)
	p := e.For(rows, 1024, func(w, lo, hi int) {
		var s float64
		k := T(scale / float64(rows))
		for i := lo; i < hi; i++ {
			row := x[i*ld : i*ld+cols]
			m := vMax(row)
			d := tmp[w]
			if dx != nil {
				d = dx[i*ld : i*ld+cols]
			}
			copy(d, row)
			z := vExpShift(d, m)
			y := labels[i]
			if dx != nil {
				vScale(d, T(1/z)*k)
				d[y] -= k
			}
			s += math.Log(z) - float64(row[y]-m)
		}
		acc[w][0] = s
	})
	var s float64
	for w := range p {
		s += acc[w][0]
	}
	return s / float64(rows)
}

// L1 returns mean |x − target| and sets dx = scale·sign(x − target)/n with
// sign(0) = 0 (PyTorch's l1_loss, mean reduction). dx may be nil.
func L1[T Float](x, target []T, scale float64, dx []T) float64 {
	n := len(x)
	k := T(scale / float64(n))
	var s float64
	for i, v := range x {
		d := v - target[i]
		s += math.Abs(float64(d))
		if dx != nil {
			switch {
			case d > 0:
				dx[i] = k
			case d < 0:
				dx[i] = -k
			default:
				dx[i] = 0
			}
		}
	}
	return s / float64(n)
}

// cosEps is added to each squared norm, as PyTorch's cosine_embedding_loss
// does.
const cosEps = 1e-12

// CosineEmbedding returns PyTorch's cosine_embedding_loss with target +1,
// margin 0 and mean reduction over the rows of a and b (rows×cols,
// contiguous): mean_i [1 − cos(a_i, b_i)], cos = a·b/√((|a|²+ε)(|b|²+ε)),
// ε = 1e-12. When da and db are not nil it sets them to the gradients times
// scale.
func CosineEmbedding[T Float](rows, cols int, a, b []T, scale float64, da, db []T) float64 {
	var loss float64
	for i := range rows {
		ar, br := a[i*cols:(i+1)*cols], b[i*cols:(i+1)*cols]
		var p, na, nb float64
		for j, v := range ar {
			w := float64(br[j])
			p += float64(v) * w
			na += float64(v) * float64(v)
			nb += w * w
		}
		na += cosEps
		nb += cosEps
		d := math.Sqrt(na * nb)
		c := p / d
		loss += 1 - c
		if da == nil {
			continue
		}
		// ∂cos/∂a = b/d − cos·a/|a|², ∂cos/∂b = a/d − cos·b/|b|².
		k := -scale / float64(rows)
		dar, dbr := da[i*cols:(i+1)*cols], db[i*cols:(i+1)*cols]
		for j, v := range ar {
			av, bv := float64(v), float64(br[j])
			dar[j] = T(k * (bv/d - c*av/na))
			dbr[j] = T(k * (av/d - c*bv/nb))
		}
	}
	return loss / float64(rows)
}
