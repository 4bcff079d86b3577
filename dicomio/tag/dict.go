package tag

// The tags this project reads or writes, with the VR that implicit-VR files
// imply for them. Keywords and VRs follow DICOM PS3.6 (checked against
// DCMTK's dicom.dic by TestDictionaryAgreesWithDCMTK); where PS3.6 allows
// "US or SS" the entry says US, and "OB or OW" says OW.

// Tag constants, named by their DICOM keyword.
const (
	FileMetaInformationGroupLength                          Tag = 0x00020000 // (0002,0000) UL
	FileMetaInformationVersion                              Tag = 0x00020001 // (0002,0001) OB
	MediaStorageSOPClassUID                                 Tag = 0x00020002 // (0002,0002) UI
	MediaStorageSOPInstanceUID                              Tag = 0x00020003 // (0002,0003) UI
	TransferSyntaxUID                                       Tag = 0x00020010 // (0002,0010) UI
	ImplementationClassUID                                  Tag = 0x00020012 // (0002,0012) UI
	ImplementationVersionName                               Tag = 0x00020013 // (0002,0013) SH
	SourceApplicationEntityTitle                            Tag = 0x00020016 // (0002,0016) AE
	FileSetID                                               Tag = 0x00041130 // (0004,1130) CS
	OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity Tag = 0x00041200 // (0004,1200) UL
	OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity  Tag = 0x00041202 // (0004,1202) UL
	FileSetConsistencyFlag                                  Tag = 0x00041212 // (0004,1212) US
	DirectoryRecordSequence                                 Tag = 0x00041220 // (0004,1220) SQ
	OffsetOfTheNextDirectoryRecord                          Tag = 0x00041400 // (0004,1400) UL
	RecordInUseFlag                                         Tag = 0x00041410 // (0004,1410) US
	OffsetOfReferencedLowerLevelDirectoryEntity             Tag = 0x00041420 // (0004,1420) UL
	DirectoryRecordType                                     Tag = 0x00041430 // (0004,1430) CS
	ReferencedFileID                                        Tag = 0x00041500 // (0004,1500) CS
	ReferencedSOPClassUIDInFile                             Tag = 0x00041510 // (0004,1510) UI
	ReferencedSOPInstanceUIDInFile                          Tag = 0x00041511 // (0004,1511) UI
	ReferencedTransferSyntaxUIDInFile                       Tag = 0x00041512 // (0004,1512) UI
	SpecificCharacterSet                                    Tag = 0x00080005 // (0008,0005) CS
	ImageType                                               Tag = 0x00080008 // (0008,0008) CS
	InstanceCreationDate                                    Tag = 0x00080012 // (0008,0012) DA
	InstanceCreationTime                                    Tag = 0x00080013 // (0008,0013) TM
	SOPClassUID                                             Tag = 0x00080016 // (0008,0016) UI
	SOPInstanceUID                                          Tag = 0x00080018 // (0008,0018) UI
	StudyDate                                               Tag = 0x00080020 // (0008,0020) DA
	SeriesDate                                              Tag = 0x00080021 // (0008,0021) DA
	AcquisitionDate                                         Tag = 0x00080022 // (0008,0022) DA
	ContentDate                                             Tag = 0x00080023 // (0008,0023) DA
	AcquisitionDateTime                                     Tag = 0x0008002A // (0008,002A) DT
	StudyTime                                               Tag = 0x00080030 // (0008,0030) TM
	SeriesTime                                              Tag = 0x00080031 // (0008,0031) TM
	AcquisitionTime                                         Tag = 0x00080032 // (0008,0032) TM
	ContentTime                                             Tag = 0x00080033 // (0008,0033) TM
	AccessionNumber                                         Tag = 0x00080050 // (0008,0050) SH
	Modality                                                Tag = 0x00080060 // (0008,0060) CS
	ConversionType                                          Tag = 0x00080064 // (0008,0064) CS
	Manufacturer                                            Tag = 0x00080070 // (0008,0070) LO
	InstitutionName                                         Tag = 0x00080080 // (0008,0080) LO
	InstitutionAddress                                      Tag = 0x00080081 // (0008,0081) ST
	ReferringPhysicianName                                  Tag = 0x00080090 // (0008,0090) PN
	CodeValue                                               Tag = 0x00080100 // (0008,0100) SH
	CodingSchemeDesignator                                  Tag = 0x00080102 // (0008,0102) SH
	CodingSchemeVersion                                     Tag = 0x00080103 // (0008,0103) SH
	CodeMeaning                                             Tag = 0x00080104 // (0008,0104) LO
	MappingResource                                         Tag = 0x00080105 // (0008,0105) CS
	ContextGroupVersion                                     Tag = 0x00080106 // (0008,0106) DT
	ContextIdentifier                                       Tag = 0x0008010F // (0008,010F) CS
	ContextUID                                              Tag = 0x00080117 // (0008,0117) UI
	LongCodeValue                                           Tag = 0x00080119 // (0008,0119) UC
	URNCodeValue                                            Tag = 0x00080120 // (0008,0120) UR
	TimezoneOffsetFromUTC                                   Tag = 0x00080201 // (0008,0201) SH
	StationName                                             Tag = 0x00081010 // (0008,1010) SH
	StudyDescription                                        Tag = 0x00081030 // (0008,1030) LO
	ProcedureCodeSequence                                   Tag = 0x00081032 // (0008,1032) SQ
	SeriesDescription                                       Tag = 0x0008103E // (0008,103E) LO
	InstitutionalDepartmentName                             Tag = 0x00081040 // (0008,1040) LO
	PerformingPhysicianName                                 Tag = 0x00081050 // (0008,1050) PN
	OperatorsName                                           Tag = 0x00081070 // (0008,1070) PN
	ManufacturerModelName                                   Tag = 0x00081090 // (0008,1090) LO
	ReferencedPerformedProcedureStepSequence                Tag = 0x00081111 // (0008,1111) SQ
	ReferencedSeriesSequence                                Tag = 0x00081115 // (0008,1115) SQ
	ReferencedImageSequence                                 Tag = 0x00081140 // (0008,1140) SQ
	ReferencedInstanceSequence                              Tag = 0x0008114A // (0008,114A) SQ
	ReferencedSOPClassUID                                   Tag = 0x00081150 // (0008,1150) UI
	ReferencedSOPInstanceUID                                Tag = 0x00081155 // (0008,1155) UI
	ReferencedFrameNumber                                   Tag = 0x00081160 // (0008,1160) IS
	ReferencedSOPSequence                                   Tag = 0x00081199 // (0008,1199) SQ
	RelatedSeriesSequence                                   Tag = 0x00081250 // (0008,1250) SQ
	DerivationDescription                                   Tag = 0x00082111 // (0008,2111) ST
	SourceImageSequence                                     Tag = 0x00082112 // (0008,2112) SQ
	AnatomicRegionSequence                                  Tag = 0x00082218 // (0008,2218) SQ
	AnatomicRegionModifierSequence                          Tag = 0x00082220 // (0008,2220) SQ
	PrimaryAnatomicStructureSequence                        Tag = 0x00082228 // (0008,2228) SQ
	PrimaryAnatomicStructureModifierSequence                Tag = 0x00082230 // (0008,2230) SQ
	FrameType                                               Tag = 0x00089007 // (0008,9007) CS
	CreatorVersionUID                                       Tag = 0x00089123 // (0008,9123) UI
	DerivationImageSequence                                 Tag = 0x00089124 // (0008,9124) SQ
	PixelPresentation                                       Tag = 0x00089205 // (0008,9205) CS
	VolumetricProperties                                    Tag = 0x00089206 // (0008,9206) CS
	VolumeBasedCalculationTechnique                         Tag = 0x00089207 // (0008,9207) CS
	DerivationCodeSequence                                  Tag = 0x00089215 // (0008,9215) SQ
	PatientName                                             Tag = 0x00100010 // (0010,0010) PN
	PatientID                                               Tag = 0x00100020 // (0010,0020) LO
	IssuerOfPatientID                                       Tag = 0x00100021 // (0010,0021) LO
	PatientBirthDate                                        Tag = 0x00100030 // (0010,0030) DA
	PatientSex                                              Tag = 0x00100040 // (0010,0040) CS
	PatientAge                                              Tag = 0x00101010 // (0010,1010) AS
	PatientSize                                             Tag = 0x00101020 // (0010,1020) DS
	PatientWeight                                           Tag = 0x00101030 // (0010,1030) DS
	PatientComments                                         Tag = 0x00104000 // (0010,4000) LT
	PatientIdentityRemoved                                  Tag = 0x00120062 // (0012,0062) CS
	DeidentificationMethod                                  Tag = 0x00120063 // (0012,0063) LO
	DeidentificationMethodCodeSequence                      Tag = 0x00120064 // (0012,0064) SQ
	ContrastBolusAgent                                      Tag = 0x00180010 // (0018,0010) LO
	BodyPartExamined                                        Tag = 0x00180015 // (0018,0015) CS
	ScanningSequence                                        Tag = 0x00180020 // (0018,0020) CS
	SequenceVariant                                         Tag = 0x00180021 // (0018,0021) CS
	ScanOptions                                             Tag = 0x00180022 // (0018,0022) CS
	MRAcquisitionType                                       Tag = 0x00180023 // (0018,0023) CS
	SequenceName                                            Tag = 0x00180024 // (0018,0024) SH
	SliceThickness                                          Tag = 0x00180050 // (0018,0050) DS
	KVP                                                     Tag = 0x00180060 // (0018,0060) DS
	RepetitionTime                                          Tag = 0x00180080 // (0018,0080) DS
	EchoTime                                                Tag = 0x00180081 // (0018,0081) DS
	InversionTime                                           Tag = 0x00180082 // (0018,0082) DS
	NumberOfAverages                                        Tag = 0x00180083 // (0018,0083) DS
	EchoNumbers                                             Tag = 0x00180086 // (0018,0086) IS
	MagneticFieldStrength                                   Tag = 0x00180087 // (0018,0087) DS
	SpacingBetweenSlices                                    Tag = 0x00180088 // (0018,0088) DS
	EchoTrainLength                                         Tag = 0x00180091 // (0018,0091) IS
	DeviceSerialNumber                                      Tag = 0x00181000 // (0018,1000) LO
	DateOfSecondaryCapture                                  Tag = 0x00181012 // (0018,1012) DA
	SecondaryCaptureDeviceManufacturer                      Tag = 0x00181016 // (0018,1016) LO
	SecondaryCaptureDeviceManufacturerModelName             Tag = 0x00181018 // (0018,1018) LO
	SecondaryCaptureDeviceSoftwareVersions                  Tag = 0x00181019 // (0018,1019) LO
	SoftwareVersions                                        Tag = 0x00181020 // (0018,1020) LO
	VideoImageFormatAcquired                                Tag = 0x00181022 // (0018,1022) SH
	DigitalImageFormatAcquired                              Tag = 0x00181023 // (0018,1023) LO
	ProtocolName                                            Tag = 0x00181030 // (0018,1030) LO
	TriggerTime                                             Tag = 0x00181060 // (0018,1060) DS
	ReconstructionDiameter                                  Tag = 0x00181100 // (0018,1100) DS
	GantryDetectorTilt                                      Tag = 0x00181120 // (0018,1120) DS
	TableHeight                                             Tag = 0x00181130 // (0018,1130) DS
	RotationDirection                                       Tag = 0x00181140 // (0018,1140) CS
	ExposureTime                                            Tag = 0x00181150 // (0018,1150) IS
	XRayTubeCurrent                                         Tag = 0x00181151 // (0018,1151) IS
	Exposure                                                Tag = 0x00181152 // (0018,1152) IS
	ImagerPixelSpacing                                      Tag = 0x00181164 // (0018,1164) DS
	ConvolutionKernel                                       Tag = 0x00181210 // (0018,1210) SH
	ReceiveCoilName                                         Tag = 0x00181250 // (0018,1250) SH
	AcquisitionMatrix                                       Tag = 0x00181310 // (0018,1310) US
	InPlanePhaseEncodingDirection                           Tag = 0x00181312 // (0018,1312) CS
	FlipAngle                                               Tag = 0x00181314 // (0018,1314) DS
	NominalScannedPixelSpacing                              Tag = 0x00182010 // (0018,2010) DS
	PatientPosition                                         Tag = 0x00185100 // (0018,5100) CS
	ContentQualification                                    Tag = 0x00189004 // (0018,9004) CS
	PulseSequenceName                                       Tag = 0x00189005 // (0018,9005) SH
	AcquisitionDuration                                     Tag = 0x00189073 // (0018,9073) FD
	FrameAcquisitionDateTime                                Tag = 0x00189074 // (0018,9074) DT
	DiffusionBValue                                         Tag = 0x00189087 // (0018,9087) FD
	DiffusionGradientOrientation                            Tag = 0x00189089 // (0018,9089) FD
	MRDiffusionSequence                                     Tag = 0x00189117 // (0018,9117) SQ
	FrameReferenceDateTime                                  Tag = 0x00189151 // (0018,9151) DT
	FrameAcquisitionDuration                                Tag = 0x00189220 // (0018,9220) FD
	MRImageFrameTypeSequence                                Tag = 0x00189226 // (0018,9226) SQ
	CTImageFrameTypeSequence                                Tag = 0x00189329 // (0018,9329) SQ
	StudyInstanceUID                                        Tag = 0x0020000D // (0020,000D) UI
	SeriesInstanceUID                                       Tag = 0x0020000E // (0020,000E) UI
	StudyID                                                 Tag = 0x00200010 // (0020,0010) SH
	SeriesNumber                                            Tag = 0x00200011 // (0020,0011) IS
	AcquisitionNumber                                       Tag = 0x00200012 // (0020,0012) IS
	InstanceNumber                                          Tag = 0x00200013 // (0020,0013) IS
	PatientOrientation                                      Tag = 0x00200020 // (0020,0020) CS
	ImagePositionPatient                                    Tag = 0x00200032 // (0020,0032) DS
	ImageOrientationPatient                                 Tag = 0x00200037 // (0020,0037) DS
	FrameOfReferenceUID                                     Tag = 0x00200052 // (0020,0052) UI
	Laterality                                              Tag = 0x00200060 // (0020,0060) CS
	ImageLaterality                                         Tag = 0x00200062 // (0020,0062) CS
	TemporalPositionIdentifier                              Tag = 0x00200100 // (0020,0100) IS
	NumberOfTemporalPositions                               Tag = 0x00200105 // (0020,0105) IS
	TemporalResolution                                      Tag = 0x00200110 // (0020,0110) DS
	SynchronizationFrameOfReferenceUID                      Tag = 0x00200200 // (0020,0200) UI
	PositionReferenceIndicator                              Tag = 0x00201040 // (0020,1040) LO
	SliceLocation                                           Tag = 0x00201041 // (0020,1041) DS
	ImageComments                                           Tag = 0x00204000 // (0020,4000) LT
	StackID                                                 Tag = 0x00209056 // (0020,9056) SH
	InStackPositionNumber                                   Tag = 0x00209057 // (0020,9057) UL
	FrameAnatomySequence                                    Tag = 0x00209071 // (0020,9071) SQ
	FrameLaterality                                         Tag = 0x00209072 // (0020,9072) CS
	FrameContentSequence                                    Tag = 0x00209111 // (0020,9111) SQ
	PlanePositionSequence                                   Tag = 0x00209113 // (0020,9113) SQ
	PlaneOrientationSequence                                Tag = 0x00209116 // (0020,9116) SQ
	TemporalPositionIndex                                   Tag = 0x00209128 // (0020,9128) UL
	NominalCardiacTriggerDelayTime                          Tag = 0x00209153 // (0020,9153) FD
	FrameAcquisitionNumber                                  Tag = 0x00209156 // (0020,9156) US
	DimensionIndexValues                                    Tag = 0x00209157 // (0020,9157) UL
	FrameComments                                           Tag = 0x00209158 // (0020,9158) LT
	ConcatenationUID                                        Tag = 0x00209161 // (0020,9161) UI
	InConcatenationNumber                                   Tag = 0x00209162 // (0020,9162) US
	InConcatenationTotalNumber                              Tag = 0x00209163 // (0020,9163) US
	DimensionOrganizationUID                                Tag = 0x00209164 // (0020,9164) UI
	DimensionIndexPointer                                   Tag = 0x00209165 // (0020,9165) AT
	FunctionalGroupPointer                                  Tag = 0x00209167 // (0020,9167) AT
	DimensionOrganizationSequence                           Tag = 0x00209221 // (0020,9221) SQ
	DimensionIndexSequence                                  Tag = 0x00209222 // (0020,9222) SQ
	ConcatenationFrameOffsetNumber                          Tag = 0x00209228 // (0020,9228) UL
	FunctionalGroupPrivateCreator                           Tag = 0x00209238 // (0020,9238) LO
	NominalPercentageOfCardiacPhase                         Tag = 0x00209241 // (0020,9241) FL
	DimensionOrganizationType                               Tag = 0x00209311 // (0020,9311) CS
	DimensionDescriptionLabel                               Tag = 0x00209421 // (0020,9421) LO
	SamplesPerPixel                                         Tag = 0x00280002 // (0028,0002) US
	PhotometricInterpretation                               Tag = 0x00280004 // (0028,0004) CS
	PlanarConfiguration                                     Tag = 0x00280006 // (0028,0006) US
	NumberOfFrames                                          Tag = 0x00280008 // (0028,0008) IS
	FrameIncrementPointer                                   Tag = 0x00280009 // (0028,0009) AT
	Rows                                                    Tag = 0x00280010 // (0028,0010) US
	Columns                                                 Tag = 0x00280011 // (0028,0011) US
	PixelSpacing                                            Tag = 0x00280030 // (0028,0030) DS
	PixelAspectRatio                                        Tag = 0x00280034 // (0028,0034) IS
	BitsAllocated                                           Tag = 0x00280100 // (0028,0100) US
	BitsStored                                              Tag = 0x00280101 // (0028,0101) US
	HighBit                                                 Tag = 0x00280102 // (0028,0102) US
	PixelRepresentation                                     Tag = 0x00280103 // (0028,0103) US
	SmallestImagePixelValue                                 Tag = 0x00280106 // (0028,0106) US
	LargestImagePixelValue                                  Tag = 0x00280107 // (0028,0107) US
	PixelPaddingValue                                       Tag = 0x00280120 // (0028,0120) US
	PixelPaddingRangeLimit                                  Tag = 0x00280121 // (0028,0121) US
	BurnedInAnnotation                                      Tag = 0x00280301 // (0028,0301) CS
	LongitudinalTemporalInformationModified                 Tag = 0x00280303 // (0028,0303) CS
	PixelSpacingCalibrationType                             Tag = 0x00280A02 // (0028,0A02) CS
	WindowCenter                                            Tag = 0x00281050 // (0028,1050) DS
	WindowWidth                                             Tag = 0x00281051 // (0028,1051) DS
	RescaleIntercept                                        Tag = 0x00281052 // (0028,1052) DS
	RescaleSlope                                            Tag = 0x00281053 // (0028,1053) DS
	RescaleType                                             Tag = 0x00281054 // (0028,1054) LO
	WindowCenterWidthExplanation                            Tag = 0x00281055 // (0028,1055) LO
	RedPaletteColorLookupTableDescriptor                    Tag = 0x00281101 // (0028,1101) US
	GreenPaletteColorLookupTableDescriptor                  Tag = 0x00281102 // (0028,1102) US
	BluePaletteColorLookupTableDescriptor                   Tag = 0x00281103 // (0028,1103) US
	PaletteColorLookupTableUID                              Tag = 0x00281199 // (0028,1199) UI
	RedPaletteColorLookupTableData                          Tag = 0x00281201 // (0028,1201) OW
	GreenPaletteColorLookupTableData                        Tag = 0x00281202 // (0028,1202) OW
	BluePaletteColorLookupTableData                         Tag = 0x00281203 // (0028,1203) OW
	SpatialLocationsPreserved                               Tag = 0x0028135A // (0028,135A) CS
	LossyImageCompression                                   Tag = 0x00282110 // (0028,2110) CS
	LossyImageCompressionRatio                              Tag = 0x00282112 // (0028,2112) DS
	LossyImageCompressionMethod                             Tag = 0x00282114 // (0028,2114) CS
	ModalityLUTSequence                                     Tag = 0x00283000 // (0028,3000) SQ
	LUTDescriptor                                           Tag = 0x00283002 // (0028,3002) US
	LUTExplanation                                          Tag = 0x00283003 // (0028,3003) LO
	ModalityLUTType                                         Tag = 0x00283004 // (0028,3004) LO
	LUTData                                                 Tag = 0x00283006 // (0028,3006) OW
	VOILUTSequence                                          Tag = 0x00283010 // (0028,3010) SQ
	PixelMeasuresSequence                                   Tag = 0x00289110 // (0028,9110) SQ
	FrameVOILUTSequence                                     Tag = 0x00289132 // (0028,9132) SQ
	PixelValueTransformationSequence                        Tag = 0x00289145 // (0028,9145) SQ
	RequestedProcedureDescription                           Tag = 0x00321060 // (0032,1060) LO
	PerformedProcedureStepStartDate                         Tag = 0x00400244 // (0040,0244) DA
	PerformedProcedureStepStartTime                         Tag = 0x00400245 // (0040,0245) TM
	PerformedProcedureStepID                                Tag = 0x00400253 // (0040,0253) SH
	PerformedProcedureStepDescription                       Tag = 0x00400254 // (0040,0254) LO
	RequestAttributesSequence                               Tag = 0x00400275 // (0040,0275) SQ
	AcquisitionContextSequence                              Tag = 0x00400555 // (0040,0555) SQ
	RealWorldValueMappingSequence                           Tag = 0x00409096 // (0040,9096) SQ
	PurposeOfReferenceCodeSequence                          Tag = 0x0040A170 // (0040,A170) SQ
	NumberOfSlices                                          Tag = 0x00540081 // (0054,0081) US
	Units                                                   Tag = 0x00541001 // (0054,1001) CS
	SegmentationType                                        Tag = 0x00620001 // (0062,0001) CS
	SegmentSequence                                         Tag = 0x00620002 // (0062,0002) SQ
	SegmentedPropertyCategoryCodeSequence                   Tag = 0x00620003 // (0062,0003) SQ
	SegmentNumber                                           Tag = 0x00620004 // (0062,0004) US
	SegmentLabel                                            Tag = 0x00620005 // (0062,0005) LO
	SegmentDescription                                      Tag = 0x00620006 // (0062,0006) ST
	SegmentationAlgorithmIdentificationSequence             Tag = 0x00620007 // (0062,0007) SQ
	SegmentAlgorithmType                                    Tag = 0x00620008 // (0062,0008) CS
	SegmentAlgorithmName                                    Tag = 0x00620009 // (0062,0009) LO
	SegmentIdentificationSequence                           Tag = 0x0062000A // (0062,000A) SQ
	ReferencedSegmentNumber                                 Tag = 0x0062000B // (0062,000B) US
	RecommendedDisplayGrayscaleValue                        Tag = 0x0062000C // (0062,000C) US
	RecommendedDisplayCIELabValue                           Tag = 0x0062000D // (0062,000D) US
	MaximumFractionalValue                                  Tag = 0x0062000E // (0062,000E) US
	SegmentedPropertyTypeCodeSequence                       Tag = 0x0062000F // (0062,000F) SQ
	SegmentationFractionalType                              Tag = 0x00620010 // (0062,0010) CS
	SegmentedPropertyTypeModifierCodeSequence               Tag = 0x00620011 // (0062,0011) SQ
	UsedSegmentsSequence                                    Tag = 0x00620012 // (0062,0012) SQ
	SegmentsOverlap                                         Tag = 0x00620013 // (0062,0013) CS
	TrackingID                                              Tag = 0x00620020 // (0062,0020) UT
	TrackingUID                                             Tag = 0x00620021 // (0062,0021) UI
	AlgorithmFamilyCodeSequence                             Tag = 0x0066002F // (0066,002F) SQ
	AlgorithmNameCodeSequence                               Tag = 0x00660030 // (0066,0030) SQ
	AlgorithmVersion                                        Tag = 0x00660031 // (0066,0031) LO
	AlgorithmParameters                                     Tag = 0x00660032 // (0066,0032) LT
	AlgorithmName                                           Tag = 0x00660036 // (0066,0036) LO
	ContentLabel                                            Tag = 0x00700080 // (0070,0080) CS
	ContentDescription                                      Tag = 0x00700081 // (0070,0081) LO
	ContentCreatorName                                      Tag = 0x00700084 // (0070,0084) PN
	StorageMediaFileSetUID                                  Tag = 0x00880140 // (0088,0140) UI
	DoseUnits                                               Tag = 0x30040002 // (3004,0002) CS
	DoseType                                                Tag = 0x30040004 // (3004,0004) CS
	GridFrameOffsetVector                                   Tag = 0x3004000C // (3004,000C) DS
	DoseGridScaling                                         Tag = 0x3004000E // (3004,000E) DS
	SharedFunctionalGroupsSequence                          Tag = 0x52009229 // (5200,9229) SQ
	PerFrameFunctionalGroupsSequence                        Tag = 0x52009230 // (5200,9230) SQ
	ExtendedOffsetTable                                     Tag = 0x7FE00001 // (7FE0,0001) OV
	ExtendedOffsetTableLengths                              Tag = 0x7FE00002 // (7FE0,0002) OV
	FloatPixelData                                          Tag = 0x7FE00008 // (7FE0,0008) OF
	DoubleFloatPixelData                                    Tag = 0x7FE00009 // (7FE0,0009) OD
	PixelData                                               Tag = 0x7FE00010 // (7FE0,0010) OW
)

// dict is sorted by tag (TestDictionarySorted).
var dict = [...]Info{
	{FileMetaInformationGroupLength, "UL", "FileMetaInformationGroupLength"},
	{FileMetaInformationVersion, "OB", "FileMetaInformationVersion"},
	{MediaStorageSOPClassUID, "UI", "MediaStorageSOPClassUID"},
	{MediaStorageSOPInstanceUID, "UI", "MediaStorageSOPInstanceUID"},
	{TransferSyntaxUID, "UI", "TransferSyntaxUID"},
	{ImplementationClassUID, "UI", "ImplementationClassUID"},
	{ImplementationVersionName, "SH", "ImplementationVersionName"},
	{SourceApplicationEntityTitle, "AE", "SourceApplicationEntityTitle"},
	{FileSetID, "CS", "FileSetID"},
	{OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity, "UL", "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity"},
	{OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity, "UL", "OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity"},
	{FileSetConsistencyFlag, "US", "FileSetConsistencyFlag"},
	{DirectoryRecordSequence, "SQ", "DirectoryRecordSequence"},
	{OffsetOfTheNextDirectoryRecord, "UL", "OffsetOfTheNextDirectoryRecord"},
	{RecordInUseFlag, "US", "RecordInUseFlag"},
	{OffsetOfReferencedLowerLevelDirectoryEntity, "UL", "OffsetOfReferencedLowerLevelDirectoryEntity"},
	{DirectoryRecordType, "CS", "DirectoryRecordType"},
	{ReferencedFileID, "CS", "ReferencedFileID"},
	{ReferencedSOPClassUIDInFile, "UI", "ReferencedSOPClassUIDInFile"},
	{ReferencedSOPInstanceUIDInFile, "UI", "ReferencedSOPInstanceUIDInFile"},
	{ReferencedTransferSyntaxUIDInFile, "UI", "ReferencedTransferSyntaxUIDInFile"},
	{SpecificCharacterSet, "CS", "SpecificCharacterSet"},
	{ImageType, "CS", "ImageType"},
	{InstanceCreationDate, "DA", "InstanceCreationDate"},
	{InstanceCreationTime, "TM", "InstanceCreationTime"},
	{SOPClassUID, "UI", "SOPClassUID"},
	{SOPInstanceUID, "UI", "SOPInstanceUID"},
	{StudyDate, "DA", "StudyDate"},
	{SeriesDate, "DA", "SeriesDate"},
	{AcquisitionDate, "DA", "AcquisitionDate"},
	{ContentDate, "DA", "ContentDate"},
	{AcquisitionDateTime, "DT", "AcquisitionDateTime"},
	{StudyTime, "TM", "StudyTime"},
	{SeriesTime, "TM", "SeriesTime"},
	{AcquisitionTime, "TM", "AcquisitionTime"},
	{ContentTime, "TM", "ContentTime"},
	{AccessionNumber, "SH", "AccessionNumber"},
	{Modality, "CS", "Modality"},
	{ConversionType, "CS", "ConversionType"},
	{Manufacturer, "LO", "Manufacturer"},
	{InstitutionName, "LO", "InstitutionName"},
	{InstitutionAddress, "ST", "InstitutionAddress"},
	{ReferringPhysicianName, "PN", "ReferringPhysicianName"},
	{CodeValue, "SH", "CodeValue"},
	{CodingSchemeDesignator, "SH", "CodingSchemeDesignator"},
	{CodingSchemeVersion, "SH", "CodingSchemeVersion"},
	{CodeMeaning, "LO", "CodeMeaning"},
	{MappingResource, "CS", "MappingResource"},
	{ContextGroupVersion, "DT", "ContextGroupVersion"},
	{ContextIdentifier, "CS", "ContextIdentifier"},
	{ContextUID, "UI", "ContextUID"},
	{LongCodeValue, "UC", "LongCodeValue"},
	{URNCodeValue, "UR", "URNCodeValue"},
	{TimezoneOffsetFromUTC, "SH", "TimezoneOffsetFromUTC"},
	{StationName, "SH", "StationName"},
	{StudyDescription, "LO", "StudyDescription"},
	{ProcedureCodeSequence, "SQ", "ProcedureCodeSequence"},
	{SeriesDescription, "LO", "SeriesDescription"},
	{InstitutionalDepartmentName, "LO", "InstitutionalDepartmentName"},
	{PerformingPhysicianName, "PN", "PerformingPhysicianName"},
	{OperatorsName, "PN", "OperatorsName"},
	{ManufacturerModelName, "LO", "ManufacturerModelName"},
	{ReferencedPerformedProcedureStepSequence, "SQ", "ReferencedPerformedProcedureStepSequence"},
	{ReferencedSeriesSequence, "SQ", "ReferencedSeriesSequence"},
	{ReferencedImageSequence, "SQ", "ReferencedImageSequence"},
	{ReferencedInstanceSequence, "SQ", "ReferencedInstanceSequence"},
	{ReferencedSOPClassUID, "UI", "ReferencedSOPClassUID"},
	{ReferencedSOPInstanceUID, "UI", "ReferencedSOPInstanceUID"},
	{ReferencedFrameNumber, "IS", "ReferencedFrameNumber"},
	{ReferencedSOPSequence, "SQ", "ReferencedSOPSequence"},
	{RelatedSeriesSequence, "SQ", "RelatedSeriesSequence"},
	{DerivationDescription, "ST", "DerivationDescription"},
	{SourceImageSequence, "SQ", "SourceImageSequence"},
	{AnatomicRegionSequence, "SQ", "AnatomicRegionSequence"},
	{AnatomicRegionModifierSequence, "SQ", "AnatomicRegionModifierSequence"},
	{PrimaryAnatomicStructureSequence, "SQ", "PrimaryAnatomicStructureSequence"},
	{PrimaryAnatomicStructureModifierSequence, "SQ", "PrimaryAnatomicStructureModifierSequence"},
	{FrameType, "CS", "FrameType"},
	{CreatorVersionUID, "UI", "CreatorVersionUID"},
	{DerivationImageSequence, "SQ", "DerivationImageSequence"},
	{PixelPresentation, "CS", "PixelPresentation"},
	{VolumetricProperties, "CS", "VolumetricProperties"},
	{VolumeBasedCalculationTechnique, "CS", "VolumeBasedCalculationTechnique"},
	{DerivationCodeSequence, "SQ", "DerivationCodeSequence"},
	{PatientName, "PN", "PatientName"},
	{PatientID, "LO", "PatientID"},
	{IssuerOfPatientID, "LO", "IssuerOfPatientID"},
	{PatientBirthDate, "DA", "PatientBirthDate"},
	{PatientSex, "CS", "PatientSex"},
	{PatientAge, "AS", "PatientAge"},
	{PatientSize, "DS", "PatientSize"},
	{PatientWeight, "DS", "PatientWeight"},
	{PatientComments, "LT", "PatientComments"},
	{PatientIdentityRemoved, "CS", "PatientIdentityRemoved"},
	{DeidentificationMethod, "LO", "DeidentificationMethod"},
	{DeidentificationMethodCodeSequence, "SQ", "DeidentificationMethodCodeSequence"},
	{ContrastBolusAgent, "LO", "ContrastBolusAgent"},
	{BodyPartExamined, "CS", "BodyPartExamined"},
	{ScanningSequence, "CS", "ScanningSequence"},
	{SequenceVariant, "CS", "SequenceVariant"},
	{ScanOptions, "CS", "ScanOptions"},
	{MRAcquisitionType, "CS", "MRAcquisitionType"},
	{SequenceName, "SH", "SequenceName"},
	{SliceThickness, "DS", "SliceThickness"},
	{KVP, "DS", "KVP"},
	{RepetitionTime, "DS", "RepetitionTime"},
	{EchoTime, "DS", "EchoTime"},
	{InversionTime, "DS", "InversionTime"},
	{NumberOfAverages, "DS", "NumberOfAverages"},
	{EchoNumbers, "IS", "EchoNumbers"},
	{MagneticFieldStrength, "DS", "MagneticFieldStrength"},
	{SpacingBetweenSlices, "DS", "SpacingBetweenSlices"},
	{EchoTrainLength, "IS", "EchoTrainLength"},
	{DeviceSerialNumber, "LO", "DeviceSerialNumber"},
	{DateOfSecondaryCapture, "DA", "DateOfSecondaryCapture"},
	{SecondaryCaptureDeviceManufacturer, "LO", "SecondaryCaptureDeviceManufacturer"},
	{SecondaryCaptureDeviceManufacturerModelName, "LO", "SecondaryCaptureDeviceManufacturerModelName"},
	{SecondaryCaptureDeviceSoftwareVersions, "LO", "SecondaryCaptureDeviceSoftwareVersions"},
	{SoftwareVersions, "LO", "SoftwareVersions"},
	{VideoImageFormatAcquired, "SH", "VideoImageFormatAcquired"},
	{DigitalImageFormatAcquired, "LO", "DigitalImageFormatAcquired"},
	{ProtocolName, "LO", "ProtocolName"},
	{TriggerTime, "DS", "TriggerTime"},
	{ReconstructionDiameter, "DS", "ReconstructionDiameter"},
	{GantryDetectorTilt, "DS", "GantryDetectorTilt"},
	{TableHeight, "DS", "TableHeight"},
	{RotationDirection, "CS", "RotationDirection"},
	{ExposureTime, "IS", "ExposureTime"},
	{XRayTubeCurrent, "IS", "XRayTubeCurrent"},
	{Exposure, "IS", "Exposure"},
	{ImagerPixelSpacing, "DS", "ImagerPixelSpacing"},
	{ConvolutionKernel, "SH", "ConvolutionKernel"},
	{ReceiveCoilName, "SH", "ReceiveCoilName"},
	{AcquisitionMatrix, "US", "AcquisitionMatrix"},
	{InPlanePhaseEncodingDirection, "CS", "InPlanePhaseEncodingDirection"},
	{FlipAngle, "DS", "FlipAngle"},
	{NominalScannedPixelSpacing, "DS", "NominalScannedPixelSpacing"},
	{PatientPosition, "CS", "PatientPosition"},
	{ContentQualification, "CS", "ContentQualification"},
	{PulseSequenceName, "SH", "PulseSequenceName"},
	{AcquisitionDuration, "FD", "AcquisitionDuration"},
	{FrameAcquisitionDateTime, "DT", "FrameAcquisitionDateTime"},
	{DiffusionBValue, "FD", "DiffusionBValue"},
	{DiffusionGradientOrientation, "FD", "DiffusionGradientOrientation"},
	{MRDiffusionSequence, "SQ", "MRDiffusionSequence"},
	{FrameReferenceDateTime, "DT", "FrameReferenceDateTime"},
	{FrameAcquisitionDuration, "FD", "FrameAcquisitionDuration"},
	{MRImageFrameTypeSequence, "SQ", "MRImageFrameTypeSequence"},
	{CTImageFrameTypeSequence, "SQ", "CTImageFrameTypeSequence"},
	{StudyInstanceUID, "UI", "StudyInstanceUID"},
	{SeriesInstanceUID, "UI", "SeriesInstanceUID"},
	{StudyID, "SH", "StudyID"},
	{SeriesNumber, "IS", "SeriesNumber"},
	{AcquisitionNumber, "IS", "AcquisitionNumber"},
	{InstanceNumber, "IS", "InstanceNumber"},
	{PatientOrientation, "CS", "PatientOrientation"},
	{ImagePositionPatient, "DS", "ImagePositionPatient"},
	{ImageOrientationPatient, "DS", "ImageOrientationPatient"},
	{FrameOfReferenceUID, "UI", "FrameOfReferenceUID"},
	{Laterality, "CS", "Laterality"},
	{ImageLaterality, "CS", "ImageLaterality"},
	{TemporalPositionIdentifier, "IS", "TemporalPositionIdentifier"},
	{NumberOfTemporalPositions, "IS", "NumberOfTemporalPositions"},
	{TemporalResolution, "DS", "TemporalResolution"},
	{SynchronizationFrameOfReferenceUID, "UI", "SynchronizationFrameOfReferenceUID"},
	{PositionReferenceIndicator, "LO", "PositionReferenceIndicator"},
	{SliceLocation, "DS", "SliceLocation"},
	{ImageComments, "LT", "ImageComments"},
	{StackID, "SH", "StackID"},
	{InStackPositionNumber, "UL", "InStackPositionNumber"},
	{FrameAnatomySequence, "SQ", "FrameAnatomySequence"},
	{FrameLaterality, "CS", "FrameLaterality"},
	{FrameContentSequence, "SQ", "FrameContentSequence"},
	{PlanePositionSequence, "SQ", "PlanePositionSequence"},
	{PlaneOrientationSequence, "SQ", "PlaneOrientationSequence"},
	{TemporalPositionIndex, "UL", "TemporalPositionIndex"},
	{NominalCardiacTriggerDelayTime, "FD", "NominalCardiacTriggerDelayTime"},
	{FrameAcquisitionNumber, "US", "FrameAcquisitionNumber"},
	{DimensionIndexValues, "UL", "DimensionIndexValues"},
	{FrameComments, "LT", "FrameComments"},
	{ConcatenationUID, "UI", "ConcatenationUID"},
	{InConcatenationNumber, "US", "InConcatenationNumber"},
	{InConcatenationTotalNumber, "US", "InConcatenationTotalNumber"},
	{DimensionOrganizationUID, "UI", "DimensionOrganizationUID"},
	{DimensionIndexPointer, "AT", "DimensionIndexPointer"},
	{FunctionalGroupPointer, "AT", "FunctionalGroupPointer"},
	{DimensionOrganizationSequence, "SQ", "DimensionOrganizationSequence"},
	{DimensionIndexSequence, "SQ", "DimensionIndexSequence"},
	{ConcatenationFrameOffsetNumber, "UL", "ConcatenationFrameOffsetNumber"},
	{FunctionalGroupPrivateCreator, "LO", "FunctionalGroupPrivateCreator"},
	{NominalPercentageOfCardiacPhase, "FL", "NominalPercentageOfCardiacPhase"},
	{DimensionOrganizationType, "CS", "DimensionOrganizationType"},
	{DimensionDescriptionLabel, "LO", "DimensionDescriptionLabel"},
	{SamplesPerPixel, "US", "SamplesPerPixel"},
	{PhotometricInterpretation, "CS", "PhotometricInterpretation"},
	{PlanarConfiguration, "US", "PlanarConfiguration"},
	{NumberOfFrames, "IS", "NumberOfFrames"},
	{FrameIncrementPointer, "AT", "FrameIncrementPointer"},
	{Rows, "US", "Rows"},
	{Columns, "US", "Columns"},
	{PixelSpacing, "DS", "PixelSpacing"},
	{PixelAspectRatio, "IS", "PixelAspectRatio"},
	{BitsAllocated, "US", "BitsAllocated"},
	{BitsStored, "US", "BitsStored"},
	{HighBit, "US", "HighBit"},
	{PixelRepresentation, "US", "PixelRepresentation"},
	{SmallestImagePixelValue, "US", "SmallestImagePixelValue"},
	{LargestImagePixelValue, "US", "LargestImagePixelValue"},
	{PixelPaddingValue, "US", "PixelPaddingValue"},
	{PixelPaddingRangeLimit, "US", "PixelPaddingRangeLimit"},
	{BurnedInAnnotation, "CS", "BurnedInAnnotation"},
	{LongitudinalTemporalInformationModified, "CS", "LongitudinalTemporalInformationModified"},
	{PixelSpacingCalibrationType, "CS", "PixelSpacingCalibrationType"},
	{WindowCenter, "DS", "WindowCenter"},
	{WindowWidth, "DS", "WindowWidth"},
	{RescaleIntercept, "DS", "RescaleIntercept"},
	{RescaleSlope, "DS", "RescaleSlope"},
	{RescaleType, "LO", "RescaleType"},
	{WindowCenterWidthExplanation, "LO", "WindowCenterWidthExplanation"},
	{RedPaletteColorLookupTableDescriptor, "US", "RedPaletteColorLookupTableDescriptor"},
	{GreenPaletteColorLookupTableDescriptor, "US", "GreenPaletteColorLookupTableDescriptor"},
	{BluePaletteColorLookupTableDescriptor, "US", "BluePaletteColorLookupTableDescriptor"},
	{PaletteColorLookupTableUID, "UI", "PaletteColorLookupTableUID"},
	{RedPaletteColorLookupTableData, "OW", "RedPaletteColorLookupTableData"},
	{GreenPaletteColorLookupTableData, "OW", "GreenPaletteColorLookupTableData"},
	{BluePaletteColorLookupTableData, "OW", "BluePaletteColorLookupTableData"},
	{SpatialLocationsPreserved, "CS", "SpatialLocationsPreserved"},
	{LossyImageCompression, "CS", "LossyImageCompression"},
	{LossyImageCompressionRatio, "DS", "LossyImageCompressionRatio"},
	{LossyImageCompressionMethod, "CS", "LossyImageCompressionMethod"},
	{ModalityLUTSequence, "SQ", "ModalityLUTSequence"},
	{LUTDescriptor, "US", "LUTDescriptor"},
	{LUTExplanation, "LO", "LUTExplanation"},
	{ModalityLUTType, "LO", "ModalityLUTType"},
	{LUTData, "OW", "LUTData"},
	{VOILUTSequence, "SQ", "VOILUTSequence"},
	{PixelMeasuresSequence, "SQ", "PixelMeasuresSequence"},
	{FrameVOILUTSequence, "SQ", "FrameVOILUTSequence"},
	{PixelValueTransformationSequence, "SQ", "PixelValueTransformationSequence"},
	{RequestedProcedureDescription, "LO", "RequestedProcedureDescription"},
	{PerformedProcedureStepStartDate, "DA", "PerformedProcedureStepStartDate"},
	{PerformedProcedureStepStartTime, "TM", "PerformedProcedureStepStartTime"},
	{PerformedProcedureStepID, "SH", "PerformedProcedureStepID"},
	{PerformedProcedureStepDescription, "LO", "PerformedProcedureStepDescription"},
	{RequestAttributesSequence, "SQ", "RequestAttributesSequence"},
	{AcquisitionContextSequence, "SQ", "AcquisitionContextSequence"},
	{RealWorldValueMappingSequence, "SQ", "RealWorldValueMappingSequence"},
	{PurposeOfReferenceCodeSequence, "SQ", "PurposeOfReferenceCodeSequence"},
	{NumberOfSlices, "US", "NumberOfSlices"},
	{Units, "CS", "Units"},
	{SegmentationType, "CS", "SegmentationType"},
	{SegmentSequence, "SQ", "SegmentSequence"},
	{SegmentedPropertyCategoryCodeSequence, "SQ", "SegmentedPropertyCategoryCodeSequence"},
	{SegmentNumber, "US", "SegmentNumber"},
	{SegmentLabel, "LO", "SegmentLabel"},
	{SegmentDescription, "ST", "SegmentDescription"},
	{SegmentationAlgorithmIdentificationSequence, "SQ", "SegmentationAlgorithmIdentificationSequence"},
	{SegmentAlgorithmType, "CS", "SegmentAlgorithmType"},
	{SegmentAlgorithmName, "LO", "SegmentAlgorithmName"},
	{SegmentIdentificationSequence, "SQ", "SegmentIdentificationSequence"},
	{ReferencedSegmentNumber, "US", "ReferencedSegmentNumber"},
	{RecommendedDisplayGrayscaleValue, "US", "RecommendedDisplayGrayscaleValue"},
	{RecommendedDisplayCIELabValue, "US", "RecommendedDisplayCIELabValue"},
	{MaximumFractionalValue, "US", "MaximumFractionalValue"},
	{SegmentedPropertyTypeCodeSequence, "SQ", "SegmentedPropertyTypeCodeSequence"},
	{SegmentationFractionalType, "CS", "SegmentationFractionalType"},
	{SegmentedPropertyTypeModifierCodeSequence, "SQ", "SegmentedPropertyTypeModifierCodeSequence"},
	{UsedSegmentsSequence, "SQ", "UsedSegmentsSequence"},
	{SegmentsOverlap, "CS", "SegmentsOverlap"},
	{TrackingID, "UT", "TrackingID"},
	{TrackingUID, "UI", "TrackingUID"},
	{AlgorithmFamilyCodeSequence, "SQ", "AlgorithmFamilyCodeSequence"},
	{AlgorithmNameCodeSequence, "SQ", "AlgorithmNameCodeSequence"},
	{AlgorithmVersion, "LO", "AlgorithmVersion"},
	{AlgorithmParameters, "LT", "AlgorithmParameters"},
	{AlgorithmName, "LO", "AlgorithmName"},
	{ContentLabel, "CS", "ContentLabel"},
	{ContentDescription, "LO", "ContentDescription"},
	{ContentCreatorName, "PN", "ContentCreatorName"},
	{StorageMediaFileSetUID, "UI", "StorageMediaFileSetUID"},
	{DoseUnits, "CS", "DoseUnits"},
	{DoseType, "CS", "DoseType"},
	{GridFrameOffsetVector, "DS", "GridFrameOffsetVector"},
	{DoseGridScaling, "DS", "DoseGridScaling"},
	{SharedFunctionalGroupsSequence, "SQ", "SharedFunctionalGroupsSequence"},
	{PerFrameFunctionalGroupsSequence, "SQ", "PerFrameFunctionalGroupsSequence"},
	{ExtendedOffsetTable, "OV", "ExtendedOffsetTable"},
	{ExtendedOffsetTableLengths, "OV", "ExtendedOffsetTableLengths"},
	{FloatPixelData, "OF", "FloatPixelData"},
	{DoubleFloatPixelData, "OD", "DoubleFloatPixelData"},
	{PixelData, "OW", "PixelData"},
}
