"""DCGAN (Radford et al. 2016): the noise model of models/gan.py with convolutional nets."""

from __future__ import annotations

from translate.models.gan import NoiseModel
from translate.nets.spec import net_spec


class DCGAN(NoiseModel):

    def net_specs(self):
        c, info = self.cfg, self.info
        g = net_spec("dcgan_g", z_dim=c.z_dim, channels=info.channels, image_size=info.image_size,
                     ngf=c.ngf)
        d = net_spec("dcgan_d", channels=info.channels, image_size=info.image_size, ndf=c.ndf)
        return g, d
