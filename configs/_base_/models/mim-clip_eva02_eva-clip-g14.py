# EVA-02 MIM with an EVA-CLIP g/14 teacher (docs/recipes.md#pretraining; EVA-02/asuka/run_*pretraining.py): the
# student EVA-02 regresses the teacher's 1024-d features of the masked patches (MIMCLIPHead), patch-embed gradient
# x0.1 (--stop_grad_conv1). Defaults: EVA-02-B; leaves set the arch, drop path, head in_channels (the student's
# width) and model.data_preprocessor from the data base.
eva_clip_g14 = 'https://huggingface.co/BAAI/EVA/resolve/main/eva_clip_psz14.pt'  # EVA-CLIP g/14 (docs/architecture.md)

model = dict(
    type='MIMCLIP',
    backbone=dict(type='EVA', arch='eva02-b', img_size=224, drop_path_rate=0.0),
    head=dict(type='MIMCLIPHead', in_channels=768, target_channels=1024),
    teacher=dict(type='CLIPTeacher', tower='eva_clip', arch='eva-g', out_channels=1024, img_size=224,
                 checkpoint=eva_clip_g14),
    patch_embed_grad_scale=0.1)
