# Single-frame control for the video quickstart: the same network, data and schedule at T=1 (one frame per clip,
# from a random segment in training, 4 x 3 views at test). Each frame alone carries no motion, so it stays near
# chance (1/4) while the 8-frame model learns the four directions.
_base_ = ['./eva01-video-mini-p8_300it_moving-shapes-8f.py']
num_frames = 1
model = dict(backbone=dict(num_frames=num_frames, tubelet_size=1))  # one frame cannot form a 2-frame tubelet
train_pipeline = [
    dict(type='SegmentSampleFrames', num_segments=num_frames),
    dict(type='RawFrameDecode'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='SegmentSampleFrames', num_segments=num_frames, num_views=4),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 32)),  # short side = crop, as the official 224 / ThreeCrop 224
    dict(type='ThreeCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(dataset=dict(pipeline=test_pipeline)))
test_dataloader = val_dataloader
