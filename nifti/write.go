package nifti

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/mmcseg/mmcseg/geom"
)

// Voxel lists the Go types Write stores: uint8 (label maps), int16, uint16
// and float32 (images). RGB24 images go through WriteRGB.
type Voxel interface {
	uint8 | int16 | uint16 | float32
}

// WriteOptions are the header fields a caller chooses. The zero value
// writes a 3-D image in scanner coordinates with no scaling.
type WriteOptions struct {
	// Descrip is stored in the 80-byte descrip field; it is cut to 79 bytes
	// at a UTF-8 boundary (the field must end in a NUL for C readers).
	Descrip string
	// Intent is intent_code (IntentLabel for label maps; WriteLabels sets it).
	Intent int32
	// SclSlope and SclInter are stored for readers to apply (value =
	// stored·slope + inter); both 0 write slope 1, intercept 0.
	SclSlope, SclInter float64
	// CalMin and CalMax are the display range (0, 0: unset).
	CalMin, CalMax float64
	// Volumes is the number of volumes of the grid that data holds, one
	// after the other; more than 1 writes a 4-D image. 0 means 1.
	Volumes int
	// TR is the time between volumes in seconds (pixdim[4]) of a 4-D image.
	TR float64
	// XformCode is the code of both transforms; 0 means XformScannerAnat,
	// right for anything whose geometry came from DICOM.
	XformCode XformCode
}

// Info describes a written file.
type Info struct {
	Path  string
	Bytes int64
	// QformCode is 0 when the qform could not represent the grid (see
	// QformTolerance); SformCode is always set.
	QformCode, SformCode XformCode
	// LabelFiles are the label-table sidecars WriteLabels wrote.
	LabelFiles []string
	Warnings   []string
}

// QformTolerance is how far (mm) the qform may put any voxel of the volume
// from where the sform puts it. The writer sets qform_code only when the
// quaternion reproduces the sform this closely, so that readers that prefer
// the qform (ITK) and readers that prefer the sform (nibabel, FSL) place
// every voxel at the same point.
const QformTolerance = 0.01

// Write writes data, laid out as the grid says (index i + Columns·(j +
// Rows·(k + Slices·volume))), as a NIfTI-1 file: .nii or, when path ends in
// .nii.gz, gzip-compressed. The file appears atomically: it is written to a
// temporary file in the same folder, synced and renamed, and removed on any
// error or when ctx is cancelled.
//
// Geometry: sform = g.RAS() (sform_code = opt.XformCode, default 1), the
// qform the same matrix as a quaternion (pixdim = column lengths, qfac =
// sign of the determinant) with the same code — unless the matrix is not a
// rotation times voxel sizes (a gantry-tilted grid, where the slice axis is
// not perpendicular to the slices), in which case qform_code is 0 and only
// the exact sform describes the file; Info.Warnings then says so.
func Write[T Voxel](ctx context.Context, path string, g geom.Grid, data []T, opt WriteOptions) (Info, error) {
	var zero T
	var dt Datatype
	switch any(zero).(type) {
	case uint8:
		dt = Uint8
	case int16:
		dt = Int16
	case uint16:
		dt = Uint16
	case float32:
		dt = Float32
	}
	return write(ctx, path, g, dt, len(data), opt, func(w io.Writer) error {
		return encodeData(ctx, w, data)
	})
}

// WriteRGB writes a colour image (datatype RGB24) from rgb, three bytes R,
// G, B per voxel in the order Write uses. See Write for the rest.
func WriteRGB(ctx context.Context, path string, g geom.Grid, rgb []byte, opt WriteOptions) (Info, error) {
	if len(rgb)%3 != 0 {
		return Info{Path: path}, fmt.Errorf("nifti: %s: RGB data of %d bytes is not a multiple of 3", path, len(rgb))
	}
	return write(ctx, path, g, RGB24, len(rgb)/3, opt, func(w io.Writer) error {
		return encodeData(ctx, w, rgb)
	})
}

// WriteLabels writes a label map (uint8, intent NIFTI_INTENT_LABEL, cal_min
// 0, cal_max the largest label present or listed) and, when table is not
// empty, its label table beside it (see WriteLabelTable). All files are
// written and synced under temporary names first and renamed only when all
// are complete, the map last. Labels in the data that the table lacks are
// reported in Info.Warnings.
func WriteLabels(ctx context.Context, path string, g geom.Grid, labels []uint8, table LabelTable, opt WriteOptions) (Info, error) {
	seen := labelsPresent(labels)
	var warn []string
	maxLabel := 0
	for v := 1; v < 256; v++ {
		if seen[v] {
			maxLabel = v
			if len(table) > 0 && !table.has(uint8(v)) {
				warn = append(warn, fmt.Sprintf("label %d occurs in the data but not in the label table", v))
			}
		}
	}
	for _, l := range table {
		maxLabel = max(maxLabel, int(l.Value))
	}
	opt.Intent = IntentLabel
	opt.SclSlope, opt.SclInter = 1, 0
	opt.CalMin, opt.CalMax = 0, float64(maxLabel)
	// Stage all files before renaming any, so that a failure leaves the
	// previous map and tables as they were.
	info, img, err := stageImage(ctx, path, g, Uint8, len(labels), opt, func(w io.Writer) error {
		return encodeData(ctx, w, labels)
	})
	info.Warnings = append(warn, info.Warnings...)
	if err != nil {
		return info, fmt.Errorf("nifti: %s: %w", path, err)
	}
	all := []*staged{img}
	if len(table) > 0 {
		tables, err := stageLabelTable(ctx, path, table)
		if err != nil {
			img.abort()
			return info, err
		}
		all = append(tables, img) // the map last: it never exists without its tables
		for _, st := range tables {
			info.LabelFiles = append(info.LabelFiles, st.path)
		}
	}
	if err := commitAll(ctx, all); err != nil {
		return info, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return info, nil
}

// labelsPresent reports which values occur. Label maps are mostly 0, so
// eight voxels at a time are skipped while they are all 0.
func labelsPresent(labels []uint8) (seen [256]bool) {
	i := 0
	for ; i+8 <= len(labels); i += 8 {
		if binary.LittleEndian.Uint64(labels[i:]) == 0 {
			continue
		}
		for _, v := range labels[i : i+8] {
			seen[v] = true
		}
	}
	for _, v := range labels[i:] {
		seen[v] = true
	}
	return seen
}

func write(ctx context.Context, path string, g geom.Grid, dt Datatype, n int, opt WriteOptions, body func(io.Writer) error) (Info, error) {
	info, st, err := stageImage(ctx, path, g, dt, n, opt, body)
	if err == nil {
		err = st.commit(ctx)
	}
	if err != nil {
		return info, fmt.Errorf("nifti: %s: %w", path, err)
	}
	return info, nil
}

// stageImage writes the image to a temporary file beside path (see stage).
func stageImage(ctx context.Context, path string, g geom.Grid, dt Datatype, n int, opt WriteOptions, body func(io.Writer) error) (Info, *staged, error) {
	info := Info{Path: path}
	compressed, err := compressedName(path)
	if err != nil {
		return info, nil, err
	}
	h, warn, err := newHeader(g, dt, n, opt)
	if err != nil {
		return info, nil, err
	}
	info.Warnings = warn
	info.QformCode, info.SformCode = h.QformCode, h.SformCode
	var z compressor
	if compressed {
		z = newGzip
	}
	st, err := stage(ctx, path, func(w io.Writer) error { return encode(w, h, body, z) })
	if err != nil {
		return info, nil, err
	}
	info.Bytes = st.size
	return info, st, nil
}

func compressedName(path string) (bool, error) {
	switch {
	case strings.HasSuffix(path, ".nii.gz"):
		return true, nil
	case strings.HasSuffix(path, ".nii"):
		return false, nil
	}
	return false, errors.New("file name must end in .nii or .nii.gz")
}

// compressor wraps the file in a compressing writer.
type compressor func(io.Writer) (io.WriteCloser, error)

// newGzip is the compressor for .nii.gz: klauspost/compress's gzip at its
// default level, several times faster than compress/gzip's default on
// label maps for somewhat larger files (BenchmarkWriteLabelGzip).
func newGzip(w io.Writer) (io.WriteCloser, error) {
	return gzip.NewWriterLevel(w, gzip.DefaultCompression)
}

// encode writes header then voxel data, through z when it is not nil.
func encode(w io.Writer, h *Header, body func(io.Writer) error, z compressor) error {
	if z == nil {
		if _, err := w.Write(encodeN1(h)); err != nil {
			return err
		}
		return body(w)
	}
	zw, err := z(w)
	if err != nil {
		return err
	}
	if _, err := zw.Write(encodeN1(h)); err != nil {
		return err
	}
	if err := body(zw); err != nil {
		return err
	}
	return zw.Close()
}

// newHeader builds the header of an n-voxel image of datatype dt on g.
func newHeader(g geom.Grid, dt Datatype, n int, opt WriteOptions) (*Header, []string, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	for _, v := range g.Origin {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("%w: origin %v is not finite", ErrGeometry, g.Origin)
		}
	}
	vols := max(opt.Volumes, 1)
	for _, d := range []int{g.Columns, g.Rows, g.Slices, vols} {
		if d > math.MaxInt16 {
			return nil, nil, fmt.Errorf("%w: %d×%d×%d×%d: NIfTI-1 dimensions stop at 32767", ErrUnsupported, g.Columns, g.Rows, g.Slices, vols)
		}
	}
	if want := g.Columns * g.Rows * g.Slices * vols; n != want {
		return nil, nil, fmt.Errorf("data holds %d voxels, the grid %d×%d×%d×%d needs %d", n, g.Columns, g.Rows, g.Slices, vols, want)
	}
	code := opt.XformCode
	if code == XformUnknown {
		code = XformScannerAnat
	}
	if !validCode(code) {
		return nil, nil, fmt.Errorf("%w: xform code %d", ErrBadHeader, code)
	}

	h := &Header{
		Version: 1, ByteOrder: binary.LittleEndian, Magic: "n+1",
		Datatype: dt, Bitpix: int16(8 * dt.Size()), VoxOffset: n1HeaderSize + 4,
		IntentCode: opt.Intent, SclSlope: opt.SclSlope, SclInter: opt.SclInter,
		CalMin: opt.CalMin, CalMax: opt.CalMax,
		XYZTUnits: int32(UnitsMM | UnitsSec),
		Descrip:   cutUTF8(opt.Descrip, 79),
		SformCode: code, QformCode: code,
	}
	if h.SclSlope == 0 && h.SclInter == 0 {
		h.SclSlope = 1
	}
	h.Dim = [8]int64{3, int64(g.Columns), int64(g.Rows), int64(g.Slices), 1, 1, 1, 1}
	h.Pixdim = [8]float64{1, 0, 0, 0, 1, 1, 1, 1}
	if vols > 1 {
		h.Dim[0], h.Dim[4] = 4, int64(vols)
		h.Pixdim[4] = opt.TR
	}

	a := g.RAS()
	h.SrowX, h.SrowY, h.SrowZ = a[0], a[1], a[2]
	b, c, d, qfac, zoom := quaternion(a)
	h.Pixdim[0] = qfac
	copy(h.Pixdim[1:4], zoom[:])
	h.QoffsetX, h.QoffsetY, h.QoffsetZ = a[0][3], a[1][3], a[2][3]
	// Judge the qform as readers will see it: from the stored float32s.
	roundFloat32(h)
	dist := storeQuaternion(h, b, c, d, g.Columns, g.Rows, g.Slices)
	var warn []string
	if dist > QformTolerance {
		h.QformCode = XformUnknown
		if t := g.Tilt(); t > 0.01 {
			warn = append(warn, fmt.Sprintf("slice axis tilted %.3g° from the slice normal (gantry tilt): written with the exact, sheared sform only (qform_code 0); nibabel, FSL and SPM place voxels exactly, ITK-based tools (3D Slicer, ITK-SNAP) refuse sheared files — resample to an orthogonal grid for them", t))
		} else {
			warn = append(warn, fmt.Sprintf("the quaternion cannot reproduce the affine within %g mm (%.3g mm): qform_code 0, sform only", QformTolerance, dist))
		}
	}
	return h, warn, nil
}

// roundFloat32 rounds the float fields a NIfTI-1 file stores as float32, so
// that checks made on h see what readers will see.
func roundFloat32(h *Header) {
	r := func(v *float64) { *v = float64(float32(*v)) }
	for i := range h.Pixdim {
		r(&h.Pixdim[i])
	}
	for i := range 4 {
		r(&h.SrowX[i])
		r(&h.SrowY[i])
		r(&h.SrowZ[i])
	}
	for _, v := range []*float64{&h.QuaternB, &h.QuaternC, &h.QuaternD, &h.QoffsetX, &h.QoffsetY, &h.QoffsetZ,
		&h.SclSlope, &h.SclInter, &h.CalMin, &h.CalMax} {
		r(v)
	}
}

func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// chunk is how many bytes are encoded between checks of ctx.
const chunk = 1 << 20

// encodeData writes voxels little-endian in chunks, checking ctx between
// them.
func encodeData[T Voxel](ctx context.Context, w io.Writer, data []T) error {
	var zero T
	size := binary.Size(zero)
	per := chunk / size
	buf := make([]byte, 0, chunk)
	for start := 0; start < len(data); start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		part := data[start:min(start+per, len(data))]
		var out []byte
		switch p := any(part).(type) {
		case []uint8:
			out = p
		case []int16:
			out = buf[:0]
			for _, v := range p {
				out = binary.LittleEndian.AppendUint16(out, uint16(v))
			}
		case []uint16:
			out = buf[:0]
			for _, v := range p {
				out = binary.LittleEndian.AppendUint16(out, v)
			}
		case []float32:
			out = buf[:0]
			for _, v := range p {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
			}
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}
