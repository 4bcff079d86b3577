// Package kmeans clusters per-pixel feature vectors (grey values, Hounsfield
// units, RGB colours) with Lloyd's k-means algorithm, seeded by k-means++.
//
// It is the classical baseline of the MMCFormer (MS-Former) paper's Table 1.
// The paper gives no settings for its k-means row (its baseline numbers were
// taken from the SGSCN paper, Ahn et al., MICCAI 2021, which does not state
// them either). Both of its tasks are foreground/background problems on
// single images (a lesion against skin, lung against the rest of a CT
// slice), and the usual baseline clusters each image's pixel intensities or
// colours into k = 2 groups, so k = 2 is the default of the kmeans plugin,
// with k configurable.
//
// Results are deterministic: the same points, k and seed give the same
// labels bit for bit, whatever the number of worker goroutines, because the
// work is cut into fixed chunks whose partial sums are combined in order.
// Clusters are numbered in increasing order of the sum of their centre's
// coordinates (intensity for one feature, R+G+B for colour), so that the
// numbering carries meaning and does not depend on the random seeding.
package kmeans
