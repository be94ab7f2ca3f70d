"""lax's convolutions: `conv_general_dilated` and its helpers (`conv`,
`conv_with_general_padding`, `conv_transpose`, `conv_dimension_numbers`,
`conv_general_dilated_patches`, `padtype_to_pads`)."""
__all__: list = []
