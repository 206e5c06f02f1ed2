# Runs the reference corruptions on the 100 real CIFAR-10 test records and writes their uint8 outputs per
# (corruption, severity) to $REF_OUT (default ref/). The reference file itself (hendrycks/robustness,
# ImageNet-C/create_c/make_cifar_c.py) is read from the path given, never copied here.
# Usage: /usr/bin/python3 reference_corrupt.py RECORDS.bin make_cifar_c.py NAME...  (Debian python3-skimage,
# python3-opencv, python3-wand, python3-scipy; torch is not needed: its imports are stubbed)
import os, sys, types, numpy as np
src = open(sys.argv[2]).read()
src = src[:src.index('# /////////////// End Distortions ///////////////')]
for mod in ['torch', 'torchvision', 'torchvision.datasets', 'torchvision.transforms', 'torch.utils', 'torch.utils.data']:
    sys.modules[mod] = types.ModuleType(mod)
sys.modules['torch'].utils = sys.modules['torch.utils']; sys.modules['torch.utils'].data = sys.modules['torch.utils.data']
sys.modules['torchvision'].datasets = sys.modules['torchvision.datasets']; sys.modules['torchvision'].transforms = sys.modules['torchvision.transforms']
import skimage.filters
_g = skimage.filters.gaussian
def gaussian(*a, multichannel=None, **k):
    if multichannel: k['channel_axis'] = -1
    return _g(*a, **k)
src = src.replace('from skimage.filters import gaussian', '')
ns = {'gaussian': gaussian}
exec(src, ns)
from PIL import Image
raw = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(100, 3073)
imgs = raw[:, 1:].reshape(100, 3, 32, 32).transpose(0, 2, 3, 1)
names = sys.argv[3:]
np.random.seed(0)
for name in names:
    for s in range(1, 6):
        out = np.stack([np.uint8(ns[name](Image.fromarray(im), s)) for im in imgs])
        out.tofile(f'{os.environ.get("REF_OUT", "ref")}/{name}_{s}.bin')
print('ok')
