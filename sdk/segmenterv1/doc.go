// Package segmenterv1 is the generated Go code of the segmenter plugin
// contract, protobuf package mmcseg.segmenter.v1
// (sdk/proto/mmcseg/segmenter/v1/segmenter.proto). Regenerate it with
// `make proto`; never edit the *.pb.go files.
//
// Plugin authors writing in Go do not need this package: package sdk offers
// Go types, sdk.Serve and a host-side client on top of it.
package segmenterv1
