package sdk

import (
	"github.com/mmcseg/mmcseg/geom"
	pb "github.com/mmcseg/mmcseg/sdk/segmenterv1"
)

// Conversions between the Go types and the wire messages. Unknown enum
// values survive the round trip so that validation can name them.

func descriptionToPB(d Description) *pb.Description {
	out := &pb.Description{
		Name:                       d.Name,
		Version:                    d.Version,
		Description:                d.Summary,
		ContractVersion:            uint32(d.ContractVersion),
		Modalities:                 d.Modalities,
		PixelFormats:               formatsToPB(d.PixelFormats),
		PhotometricInterpretations: d.PhotometricInterpretations,
		InputMode:                  pb.InputMode(d.InputMode),
		ConcurrentSeries:           d.ConcurrentSeries,
		AuxMaps:                    d.AuxMaps,
	}
	for _, s := range d.Segments {
		at := pb.AlgorithmType_ALGORITHM_TYPE_AUTOMATIC
		if s.SemiAutomatic {
			at = pb.AlgorithmType_ALGORITHM_TYPE_SEMIAUTOMATIC
		}
		out.Segments = append(out.Segments, &pb.SegmentDescription{
			Number:         uint32(s.Number),
			Label:          s.Label,
			Description:    s.Description,
			Color:          &pb.Color{R: uint32(s.Color[0]), G: uint32(s.Color[1]), B: uint32(s.Color[2])},
			Category:       codeToPB(s.Category),
			Type:           codeToPB(s.Type),
			AnatomicRegion: codeToPB(s.AnatomicRegion),
			AlgorithmType:  at,
			AlgorithmName:  s.AlgorithmName,
			Modalities:     s.Modalities,
			PixelFormats:   formatsToPB(s.PixelFormats),
		})
	}
	for _, p := range d.Parameters {
		q := &pb.ParameterDescription{
			Name:        p.Name,
			Type:        pb.ParameterType(p.Type),
			Default:     p.Default,
			Choices:     p.Choices,
			Description: p.Description,
		}
		if p.Min != nil {
			q.Min = &pb.Bound{Value: *p.Min}
		}
		if p.Max != nil {
			q.Max = &pb.Bound{Value: *p.Max}
		}
		out.Parameters = append(out.Parameters, q)
	}
	return out
}

func descriptionFromPB(d *pb.Description) Description {
	out := Description{
		Name:                       d.GetName(),
		Version:                    d.GetVersion(),
		Summary:                    d.GetDescription(),
		ContractVersion:            int(d.GetContractVersion()),
		Modalities:                 d.GetModalities(),
		PixelFormats:               formatsFromPB(d.GetPixelFormats()),
		PhotometricInterpretations: d.GetPhotometricInterpretations(),
		InputMode:                  InputMode(d.GetInputMode()),
		ConcurrentSeries:           d.GetConcurrentSeries(),
		AuxMaps:                    d.GetAuxMaps(),
	}
	for _, s := range d.GetSegments() {
		c := s.GetColor()
		out.Segments = append(out.Segments, SegmentInfo{
			Number:         int(s.GetNumber()),
			Label:          s.GetLabel(),
			Description:    s.GetDescription(),
			Color:          [3]uint8{clamp8(c.GetR()), clamp8(c.GetG()), clamp8(c.GetB())},
			Category:       codeFromPB(s.GetCategory()),
			Type:           codeFromPB(s.GetType()),
			AnatomicRegion: codeFromPB(s.GetAnatomicRegion()),
			AlgorithmName:  s.GetAlgorithmName(),
			SemiAutomatic:  s.GetAlgorithmType() == pb.AlgorithmType_ALGORITHM_TYPE_SEMIAUTOMATIC,
			Modalities:     s.GetModalities(),
			PixelFormats:   formatsFromPB(s.GetPixelFormats()),
		})
	}
	for _, p := range d.GetParameters() {
		q := Parameter{
			Name:        p.GetName(),
			Type:        ParamType(p.GetType()),
			Default:     p.GetDefault(),
			Choices:     p.GetChoices(),
			Description: p.GetDescription(),
		}
		if p.GetMin() != nil {
			q.Min = Bound(p.GetMin().GetValue())
		}
		if p.GetMax() != nil {
			q.Max = Bound(p.GetMax().GetValue())
		}
		out.Parameters = append(out.Parameters, q)
	}
	return out
}

func clamp8(v uint32) uint8 {
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func codeToPB(c Code) *pb.Code {
	if c.IsZero() {
		return nil
	}
	return &pb.Code{Scheme: c.Scheme, Value: c.Value, Meaning: c.Meaning}
}

func codeFromPB(c *pb.Code) Code {
	return Code{Scheme: c.GetScheme(), Value: c.GetValue(), Meaning: c.GetMeaning()}
}

func formatsToPB(fs []PixelFormat) []pb.PixelFormat {
	if fs == nil {
		return nil
	}
	out := make([]pb.PixelFormat, len(fs))
	for i, f := range fs {
		out[i] = pb.PixelFormat(f)
	}
	return out
}

func formatsFromPB(fs []pb.PixelFormat) []PixelFormat {
	if fs == nil {
		return nil
	}
	out := make([]PixelFormat, len(fs))
	for i, f := range fs {
		out[i] = PixelFormat(f)
	}
	return out
}

func vecToPB(v geom.Vec3) *pb.Vec3 { return &pb.Vec3{X: v[0], Y: v[1], Z: v[2]} }

func vecFromPB(v *pb.Vec3) geom.Vec3 { return geom.Vec3{v.GetX(), v.GetY(), v.GetZ()} }

func seriesToPB(s SeriesInfo, params map[string]string) *pb.SeriesStart {
	out := &pb.SeriesStart{
		SeriesUid:                 s.UID,
		Modality:                  s.Modality,
		PhotometricInterpretation: s.PhotometricInterpretation,
		BodyPart:                  s.BodyPart,
		Manufacturer:              s.Manufacturer,
		SeriesDescription:         s.Description,
		PixelFormat:               pb.PixelFormat(s.Format),
		Rows:                      nonNeg(s.Rows),
		Columns:                   nonNeg(s.Columns),
		Slices:                    nonNeg(s.Slices),
		Parameters:                params,
		Threads:                   nonNeg(s.Threads),
		WantAux:                   s.WantAux,
	}
	if g := s.Geometry; g != nil {
		out.Geometry = &pb.Geometry{
			Origin:          vecToPB(g.Origin),
			RowDirection:    vecToPB(g.RowDir),
			ColumnDirection: vecToPB(g.ColDir),
			SliceDirection:  vecToPB(g.SliceDir),
			RowSpacing:      g.RowSpacing,
			ColumnSpacing:   g.ColSpacing,
			SliceSpacing:    g.SliceSpacing,
		}
	}
	return out
}

func nonNeg(v int) uint32 {
	if v < 0 {
		return 0
	}
	return uint32(v)
}

func seriesFromPB(s *pb.SeriesStart) SeriesInfo {
	out := SeriesInfo{
		UID:                       s.GetSeriesUid(),
		Modality:                  s.GetModality(),
		PhotometricInterpretation: s.GetPhotometricInterpretation(),
		BodyPart:                  s.GetBodyPart(),
		Manufacturer:              s.GetManufacturer(),
		Description:               s.GetSeriesDescription(),
		Format:                    PixelFormat(s.GetPixelFormat()),
		Rows:                      int(s.GetRows()),
		Columns:                   int(s.GetColumns()),
		Slices:                    int(s.GetSlices()),
		Threads:                   int(s.GetThreads()),
		WantAux:                   s.GetWantAux(),
	}
	if g := s.GetGeometry(); g != nil {
		out.Geometry = &geom.Grid{
			Columns: out.Columns, Rows: out.Rows, Slices: out.Slices,
			Origin:       vecFromPB(g.GetOrigin()),
			RowDir:       vecFromPB(g.GetRowDirection()),
			ColDir:       vecFromPB(g.GetColumnDirection()),
			SliceDir:     vecFromPB(g.GetSliceDirection()),
			RowSpacing:   g.GetRowSpacing(),
			ColSpacing:   g.GetColumnSpacing(),
			SliceSpacing: g.GetSliceSpacing(),
		}
	}
	return out
}

func sliceToPB(s Slice) *pb.Slice {
	out := &pb.Slice{
		Index:       nonNeg(s.Index),
		PixelFormat: pb.PixelFormat(s.Format),
		Rows:        nonNeg(s.Rows),
		Columns:     nonNeg(s.Columns),
		Data:        s.Data,
	}
	if s.Position != nil {
		out.Position = vecToPB(*s.Position)
	}
	return out
}

func sliceFromPB(s *pb.Slice) Slice {
	out := Slice{
		Index:   int(s.GetIndex()),
		Format:  PixelFormat(s.GetPixelFormat()),
		Rows:    int(s.GetRows()),
		Columns: int(s.GetColumns()),
		Data:    s.GetData(),
	}
	if p := s.GetPosition(); p != nil {
		v := vecFromPB(p)
		out.Position = &v
	}
	return out
}
