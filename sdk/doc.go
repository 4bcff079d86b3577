// Package sdk is the segmenter plugin contract for Go: the types a plugin
// author implements, Serve for a plugin's main function, and the host-side
// client that starts a plugin and streams series through it.
//
// # For plugin authors
//
// A plugin is an executable named mmcseg-plugin-NAME whose main function is
// one line:
//
//	func main() { sdk.Serve(mySegmenter{}) }
//
// mySegmenter implements [Segmenter]: Describe says what it produces (its
// segments with their SNOMED CT codes), what it accepts and which parameters
// it takes; Open starts a [Session] for one series. In SLICE mode the session
// implements [SliceSession] and receives the slices one at a time, in order,
// keeping whatever state it likes across them; in VOLUME mode it implements
// [VolumeSession] and receives the whole stack at once. Inside a session,
// [ReportProgress], [Warn] and [Logger] reach the host.
//
// Serve validates the description, raises gRPC's message limits to
// [MaxMessageSize], logs as JSON to stderr (which the host forwards into its
// own log/slog logger), and speaks HashiCorp go-plugin's handshake with
// [MagicCookieKey] and application protocol version [ProtocolVersion].
// Package sdk/plugintest checks that a plugin honours the contract.
//
// # For hosts
//
// [Open] starts a plugin executable and returns a [*Plugin]; [Plugin.Segment]
// streams one series through it and calls back with each mask. Failures of
// the plugin (a crash, a hang, output that breaks the contract) come back as
// an [*Error] for that series within bounded time, never as a hang.
//
// The wire contract itself is the protobuf package mmcseg.segmenter.v1
// (sdk/proto); package segmenterv1 holds its generated Go code. Plugins in
// other languages implement it directly: see docs/plugin-authors.md.
package sdk
