package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mmcseg/mmcseg/dicomio"
	"github.com/mmcseg/mmcseg/dicomio/tag"
	"github.com/mmcseg/mmcseg/geom"
)

// PhantomOptions describe a synthetic chest CT. The zero value gives the
// demo's phantom: 256 × 256 × 16 slices of 1.4 mm pixels, 5 mm apart.
type PhantomOptions struct {
	Columns, Rows, Slices int
	// PixelSpacing and SliceSpacing in mm.
	PixelSpacing, SliceSpacing float64
	// Noise is the standard deviation of Gaussian noise in HU (0: 20;
	// negative: none).
	Noise float64
	// Seed makes the noise reproducible.
	Seed uint64
	// Identity of the series; empty UIDs are generated, an empty patient
	// is "PHANTOM".
	PatientID, PatientName                 string
	StudyInstanceUID, SeriesInstanceUID    string
	FrameOfReferenceUID, SeriesDescription string
	SeriesNumber                           int
}

// Phantom is a synthetic chest CT series written as DICOM, with its truth.
type Phantom struct {
	Dir string
	// Files are the slices' files in slice order (ascending along the
	// slice normal, i.e. towards the head). Their names follow
	// InstanceNumber, which counts from the head down, so file order is
	// not slice order, as in real archives.
	Files []string
	Grid  geom.Grid
	// HU holds the voxel values (Hounsfield units), slice by slice, row
	// by row; Truth the lung labels (1 = lung) in the same layout.
	HU    []float32
	Truth []uint8

	PatientID, StudyInstanceUID, SeriesInstanceUID string
}

// Values of the phantom's tissues in HU.
const (
	phantomAir   = -1000
	phantomFat   = -100
	phantomSoft  = 40
	phantomLung  = -850
	phantomBone  = 700
	phantomBed   = 250
	phantomHeart = 60
)

// WritePhantom writes a synthetic chest CT into dir as a DICOM CT series
// (one file per slice, explicit VR little endian, unsigned 16-bit with
// rescale intercept −1024) and returns it with its lung truth.
//
// The body is an ellipse of soft tissue with a fat rim, in air, on a table,
// with a spine behind and a heart in front. The lungs differ so that a flip
// along any axis shows: the right lung (patient's right, low column
// indices) is larger than the left, which the heart indents; the spine is
// posterior (high row indices) and the heart anterior; both lungs narrow
// towards the head, and the liver dome keeps the right lung out of the
// lowest slices.
func WritePhantom(ctx context.Context, dir string, o PhantomOptions) (*Phantom, error) {
	if o.Columns == 0 {
		o.Columns = 256
	}
	if o.Rows == 0 {
		o.Rows = 256
	}
	if o.Slices == 0 {
		o.Slices = 16
	}
	if o.PixelSpacing == 0 {
		o.PixelSpacing = 1.4
	}
	if o.SliceSpacing == 0 {
		o.SliceSpacing = 5
	}
	if o.Noise == 0 {
		o.Noise = 20
	}
	if o.Columns < 8 || o.Rows < 8 || o.Slices < 1 || o.Columns*o.Rows > 4096*4096 || o.Slices > 4096 ||
		!(o.PixelSpacing > 0) || !(o.SliceSpacing > 0) {
		return nil, fmt.Errorf("%w: phantom of %d×%d×%d voxels of %g×%g mm", ErrOptions, o.Columns, o.Rows, o.Slices, o.PixelSpacing, o.SliceSpacing)
	}
	if o.PatientID == "" {
		o.PatientID = "PHANTOM"
	}
	if o.PatientName == "" {
		o.PatientName = "Phantom^Chest"
	}
	for _, u := range []*string{&o.StudyInstanceUID, &o.SeriesInstanceUID, &o.FrameOfReferenceUID} {
		if *u == "" {
			*u = dicomio.NewUID()
		}
	}
	if o.SeriesDescription == "" {
		o.SeriesDescription = "mmcseg chest phantom"
	}
	if o.SeriesNumber == 0 {
		o.SeriesNumber = 1
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ph := &Phantom{
		Dir: dir,
		Grid: geom.Grid{
			Columns: o.Columns, Rows: o.Rows, Slices: o.Slices,
			Origin:     geom.Vec3{-float64(o.Columns-1) * o.PixelSpacing / 2, -float64(o.Rows-1) * o.PixelSpacing / 2, -float64(o.Slices-1) * o.SliceSpacing / 2},
			RowDir:     geom.Vec3{1, 0, 0},
			ColDir:     geom.Vec3{0, 1, 0},
			SliceDir:   geom.Vec3{0, 0, 1},
			RowSpacing: o.PixelSpacing, ColSpacing: o.PixelSpacing, SliceSpacing: o.SliceSpacing,
		},
		PatientID: o.PatientID, StudyInstanceUID: o.StudyInstanceUID, SeriesInstanceUID: o.SeriesInstanceUID,
	}
	n := o.Columns * o.Rows
	ph.HU = make([]float32, n*o.Slices)
	ph.Truth = make([]uint8, n*o.Slices)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d6d63736567))
	blur := make([]float32, n)
	for k := 0; k < o.Slices; k++ {
		hu, truth := ph.HU[k*n:(k+1)*n], ph.Truth[k*n:(k+1)*n]
		phantomSlice(hu, truth, o.Columns, o.Rows, k, o.Slices)
		phantomVessels(hu, truth, o.Columns, o.Rows, rng)
		// Partial volume: a 3×3 mean softens every edge, as a CT
		// reconstruction kernel does.
		copy(blur, hu)
		for j := 1; j < o.Rows-1; j++ {
			for i := 1; i < o.Columns-1; i++ {
				var sum float32
				for dj := -1; dj <= 1; dj++ {
					for di := -1; di <= 1; di++ {
						sum += blur[(j+dj)*o.Columns+i+di]
					}
				}
				hu[j*o.Columns+i] = sum / 9
			}
		}
		// Noise, then what 12 stored bits with intercept −1024 can hold:
		// HU then equals the values in the files exactly.
		for i := range hu {
			v := float64(hu[i])
			if o.Noise > 0 {
				v += o.Noise * rng.NormFloat64()
			}
			hu[i] = float32(min(max(math.Round(v), -1024), 3071))
		}
	}
	now := time.Now()
	date, tod := now.Format("20060102"), now.Format("150405")
	ph.Files = make([]string, o.Slices)
	for k := 0; k < o.Slices; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inst := o.Slices - k // 1 at the head, as scanners count
		pos := ph.Grid.SlicePosition(k)
		px := make([]byte, 2*n)
		for i, v := range ph.HU[k*n : (k+1)*n] {
			binary.LittleEndian.PutUint16(px[2*i:], uint16(v+1024))
		}
		ds := dicomio.NewDataset(
			dicomio.NewStrings(tag.SpecificCharacterSet, dicomio.VRCS, "ISO_IR 100"),
			dicomio.NewStrings(tag.ImageType, dicomio.VRCS, "ORIGINAL", "PRIMARY", "AXIAL"),
			dicomio.NewStrings(tag.SOPClassUID, dicomio.VRUI, "1.2.840.10008.5.1.4.1.1.2"),
			dicomio.NewStrings(tag.SOPInstanceUID, dicomio.VRUI, dicomio.NewUID()),
			dicomio.NewStrings(tag.StudyDate, dicomio.VRDA, date),
			dicomio.NewStrings(tag.SeriesDate, dicomio.VRDA, date),
			dicomio.NewStrings(tag.ContentDate, dicomio.VRDA, date),
			dicomio.NewStrings(tag.StudyTime, dicomio.VRTM, tod),
			dicomio.NewStrings(tag.SeriesTime, dicomio.VRTM, tod),
			dicomio.NewStrings(tag.ContentTime, dicomio.VRTM, tod),
			dicomio.NewStrings(tag.AccessionNumber, dicomio.VRSH),
			dicomio.NewStrings(tag.Modality, dicomio.VRCS, "CT"),
			dicomio.NewStrings(tag.Manufacturer, dicomio.VRLO, "mmcseg"),
			dicomio.NewStrings(tag.ManufacturerModelName, dicomio.VRLO, "chest phantom"),
			dicomio.NewStrings(tag.ReferringPhysicianName, dicomio.VRPN),
			dicomio.NewStrings(tag.StudyDescription, dicomio.VRLO, "synthetic chest CT"),
			dicomio.NewStrings(tag.SeriesDescription, dicomio.VRLO, o.SeriesDescription),
			dicomio.NewStrings(tag.PatientName, dicomio.VRPN, o.PatientName),
			dicomio.NewStrings(tag.PatientID, dicomio.VRLO, o.PatientID),
			dicomio.NewStrings(tag.PatientBirthDate, dicomio.VRDA),
			dicomio.NewStrings(tag.PatientSex, dicomio.VRCS, "O"),
			dicomio.NewStrings(tag.BodyPartExamined, dicomio.VRCS, "CHEST"),
			dicomio.NewFloats(tag.SliceThickness, dicomio.VRDS, o.SliceSpacing),
			dicomio.NewFloats(tag.KVP, dicomio.VRDS, 120),
			dicomio.NewStrings(tag.PatientPosition, dicomio.VRCS, "HFS"),
			dicomio.NewStrings(tag.StudyInstanceUID, dicomio.VRUI, o.StudyInstanceUID),
			dicomio.NewStrings(tag.SeriesInstanceUID, dicomio.VRUI, o.SeriesInstanceUID),
			dicomio.NewStrings(tag.StudyID, dicomio.VRSH, "1"),
			dicomio.NewInts(tag.SeriesNumber, dicomio.VRIS, o.SeriesNumber),
			dicomio.NewInts(tag.AcquisitionNumber, dicomio.VRIS, 1),
			dicomio.NewInts(tag.InstanceNumber, dicomio.VRIS, inst),
			dicomio.NewFloats(tag.ImagePositionPatient, dicomio.VRDS, pos[0], pos[1], pos[2]),
			dicomio.NewFloats(tag.ImageOrientationPatient, dicomio.VRDS, 1, 0, 0, 0, 1, 0),
			dicomio.NewStrings(tag.FrameOfReferenceUID, dicomio.VRUI, o.FrameOfReferenceUID),
			dicomio.NewStrings(tag.PositionReferenceIndicator, dicomio.VRLO),
			dicomio.NewFloats(tag.SliceLocation, dicomio.VRDS, pos[2]),
			dicomio.NewInts(tag.SamplesPerPixel, dicomio.VRUS, 1),
			dicomio.NewStrings(tag.PhotometricInterpretation, dicomio.VRCS, "MONOCHROME2"),
			dicomio.NewInts(tag.Rows, dicomio.VRUS, o.Rows),
			dicomio.NewInts(tag.Columns, dicomio.VRUS, o.Columns),
			dicomio.NewFloats(tag.PixelSpacing, dicomio.VRDS, o.PixelSpacing, o.PixelSpacing),
			dicomio.NewInts(tag.BitsAllocated, dicomio.VRUS, 16),
			dicomio.NewInts(tag.BitsStored, dicomio.VRUS, 12),
			dicomio.NewInts(tag.HighBit, dicomio.VRUS, 11),
			dicomio.NewInts(tag.PixelRepresentation, dicomio.VRUS, 0),
			dicomio.NewFloats(tag.WindowCenter, dicomio.VRDS, -600),
			dicomio.NewFloats(tag.WindowWidth, dicomio.VRDS, 1500),
			dicomio.NewFloats(tag.RescaleIntercept, dicomio.VRDS, -1024),
			dicomio.NewFloats(tag.RescaleSlope, dicomio.VRDS, 1),
			dicomio.NewStrings(tag.RescaleType, dicomio.VRLO, "HU"),
			dicomio.NewBytes(tag.PixelData, dicomio.VROW, px),
		)
		p := filepath.Join(dir, "IM"+fmt.Sprintf("%04d", inst)+".dcm")
		if err := dicomio.WriteFile(p, ds); err != nil {
			return nil, fmt.Errorf("phantom slice %d: %w", k, err)
		}
		ph.Files[k] = p
	}
	return ph, nil
}

// phantomSlice draws slice k of s into hu and truth (columns × rows).
// Coordinates are normalised: u from −1 (column 0, the patient's right) to
// 1, v from −1 (row 0, anterior) to 1, t from 0 (lowest slice) to 1.
func phantomSlice(hu []float32, truth []uint8, cols, rows, k, s int) {
	t := 0.5
	if s > 1 {
		t = float64(k) / float64(s-1)
	}
	in := func(u, v, cu, cv, au, av float64) bool {
		du, dv := (u-cu)/au, (v-cv)/av
		return du*du+dv*dv <= 1
	}
	taper := 1 - 0.45*t // lungs are widest at the base
	for j := 0; j < rows; j++ {
		v := 2*(float64(j)+0.5)/float64(rows) - 1
		for i := 0; i < cols; i++ {
			u := 2*(float64(i)+0.5)/float64(cols) - 1
			x := float32(phantomAir)
			var lung uint8
			switch {
			case in(u, v, 0, 0, 0.86, 0.62):
				x = phantomFat
				if in(u, v, 0, 0, 0.80, 0.56) {
					x = phantomSoft
				}
				heart := t < 0.75 && in(u, v, 0.14, -0.12, 0.27, 0.22)
				trachea := t > 0.8 && in(u, v, 0, -0.28, 0.06, 0.06)
				right := t >= 0.12 && in(u, v, -0.40, 0.02, 0.30*taper, 0.40*taper)
				left := in(u, v, 0.42, 0.04, 0.22*taper, 0.36*taper) && !heart
				switch {
				case in(u, v, 0, 0.40, 0.09, 0.10):
					x = phantomBone
				case trachea:
					x = phantomAir
				case heart:
					x = phantomHeart
				case right || left:
					x, lung = phantomLung, 1
				}
			case v > 0.70 && v < 0.76 && math.Abs(u) < 0.95:
				x = phantomBed
			}
			hu[j*cols+i] = x
			truth[j*cols+i] = lung
		}
	}
}

// phantomVessels draws vessels into the lungs: small discs of soft tissue
// that the lung truth keeps (as manual lung masks do), so that a method
// thresholding on density alone does not score perfectly.
func phantomVessels(hu []float32, truth []uint8, cols, rows int, rng *rand.Rand) {
	for range 24 {
		ci, cj := rng.IntN(cols), rng.IntN(rows)
		if truth[cj*cols+ci] == 0 {
			continue
		}
		r := 0.8 + 1.6*rng.Float64()
		for j := max(0, cj-3); j <= min(rows-1, cj+3); j++ {
			for i := max(0, ci-3); i <= min(cols-1, ci+3); i++ {
				di, dj := float64(i-ci), float64(j-cj)
				if di*di+dj*dj <= r*r && truth[j*cols+i] != 0 {
					hu[j*cols+i] = phantomSoft
				}
			}
		}
	}
}

// Dice returns the Dice coefficient of two masks (non-zero = foreground):
// 2|A∩B| / (|A|+|B|), 1 when both are empty.
func Dice(a, b []uint8) float64 {
	var inter, na, nb int
	for i := range a {
		x, y := a[i] != 0, b[i] != 0
		if x {
			na++
		}
		if y {
			nb++
		}
		if x && y {
			inter++
		}
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(na+nb)
}

// String describes the phantom in a line.
func (p *Phantom) String() string {
	g := p.Grid
	return strconv.Itoa(g.Columns) + "×" + strconv.Itoa(g.Rows) + "×" + strconv.Itoa(g.Slices) + " CT phantom in " + p.Dir
}
