"""Class-conditional GAN (Mirza & Osindero 2014) on DCGAN nets."""

from __future__ import annotations

from translate.models.gan import NoiseModel
from translate.nets.spec import net_spec


class CGAN(NoiseModel):
    conditional = True

    def net_specs(self):
        c, info = self.cfg, self.info
        g = net_spec("dcgan_g", z_dim=c.z_dim, channels=info.channels, image_size=info.image_size,
                     ngf=c.ngf, n_classes=info.n_classes)
        d = net_spec("dcgan_d", channels=info.channels, image_size=info.image_size, ndf=c.ndf,
                     n_classes=info.n_classes, conditioning=c.conditioning)
        return g, d
