# EVA / EVA-02 ImageNet classifier (docs/architecture.md): the plain EVA backbone without its final norm, frozen patch
# embedding, last block's tokens mean-pooled and LayerNorm-ed (fc_norm, MeanPoolNorm), one Linear layer initialised
# truncated-normal 0.02 x init_scale 0.001, label-smoothed CE. Leaves set the arch, resolution, drop path,
# checkpoint, widths (neck / head in_channels) and the smoothing, and model.data_preprocessor from their data base.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='EVA', arch='eva02-b', img_size=448, out_indices=-1, final_norm=False, freeze_patch_embed=True),
    neck=dict(type='MeanPoolNorm', in_channels=768, norm='ln'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=768,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)))  # 0.02 x init_scale 0.001 (official)
