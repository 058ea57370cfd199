from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

# Written by hand: CHECK constraints are not part of Aerich's model state (MODELS_STATE below is
# the previous migration's, unchanged). A corpse may lie in no room (the old contract), and an
# item prototype's weight must be a finite number up to 1,000,000 (NaN and infinity broke
# weight limits).


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "containers" DROP CONSTRAINT "ck_containers_location";
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_location" CHECK ((source_type = 'equipment' AND entity_id IS NOT NULL) OR (source_type = 'environment' AND room_id IS NOT NULL) OR source_type = 'corpse');
ALTER TABLE "item_prototypes" DROP CONSTRAINT "ck_item_prototypes_weight";
ALTER TABLE "item_prototypes" ADD CONSTRAINT "ck_item_prototypes_weight" CHECK (weight BETWEEN 0 AND 1000000);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "item_prototypes" DROP CONSTRAINT "ck_item_prototypes_weight";
ALTER TABLE "item_prototypes" ADD CONSTRAINT "ck_item_prototypes_weight" CHECK (weight >= 0);
ALTER TABLE "containers" DROP CONSTRAINT "ck_containers_location";
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_location" CHECK ((source_type = 'equipment' AND entity_id IS NOT NULL) OR (source_type <> 'equipment' AND room_id IS NOT NULL));"""


MODELS_STATE = (
    "eJztXWtz2zYW/SscfUpmXI0s24k33XZGlpVWG0Xy2nK3bZyhYRKSMKZIhQSteLP57wvwDR"
    "KgSD1JB1+cEMSBwHPxvPfi4ltjbunQcJpdy8QAmdBuvFO+NUwwh+Q/2ZdHSgMsFvErmoDB"
    "g+Hl1sJsXjJ4cLANNEzeTIDhQJKkQ0ez0QIjyySppmsYNNHSSEZkTuMk10RfXKhiawrxzK"
    "vSp88kGZk6/Aqd8HHxqE4QNHSmxlEdVKTTWng5VPy88N7e3vYv33sY+sMPqmYZ7tzk4RbP"
    "eGaZEdB1kd6kaPpuCkk+gKGe+DRa84CHMMn/CpKAbRdG1dfjBB1OgGtQghr/nLimRnlRvF"
    "+if05/DSqZyKaqw9FYvemNVbVRgk/ycVQWyMSUvG/f/XJjarzUBv2B7u+d61cnb157FFgO"
    "ntreS4+4xncPCDDwoZ4gYuYdy7U16DOWIb47A3bPdOce+X1SG2BqMCOEVBEpGZBPWIf9MC"
    "GmP26OIbEhdcXJbvSGf/SvR8OPveH4nQLNJ2Rb5hya+M7s/fu2fxWkf3HRwk/tjq6vbnrv"
    "FM2yF47/6SsF1ZiDr6oBzSmekcfjNzmC+6Nz7cnu2JedRXqe3ymHwZu294qKMBaZbVlzbj"
    "+h4uL3kwRkLfEETT9HOpnOUV44hXsCS3D77KwAwySXkGLvHcuxYWmPKmnveO1ewZZw4E7h"
    "mrQ6UOf0iNvhYNT90Lt8p4SZ7swwJXy+6XUG9NmBwAgKOXgv0MACaAg/q45hYScrpb6JBX"
    "NGBpgSDvmC6oxYxTvFlFbip/bx6dvT85M3p+cki1fRKOVtjgj6w3GK3yVE0xlWDTRHuAS7"
    "adha3K4ebmpNrQ418KwCDq2XhBOM5pDPbRKX4lUPgM3wP7Ub1HMYHPc/9m7GnY9XtPi543"
    "wxPK464x590/ZSn1Opr9JjSVSI8p/++HeFPip/j4a99Jopyjf+u0HrBFxsqaa1VIGe5DFM"
    "DpMYAQPDsJZQV23LgJyh6V83oyFfwhlgWsxIw8r/FAM5+x2iPn3ejWQpE4xQwxH/1cfOn+"
    "nJoDsYXaSlRQu4SHWvOcSArnfLEJ/EVITzb99rxLlmQ8rJGoMai9zCsLY9CQyt5avXckjz"
    "t9ILfU0Bs0gp4IoKOKFKwZBsFoN9TcmNZn4pO9p77ncxyOxr3pwW2Ne8ORXua+grdiSFJq"
    "abEx7tN9gWq8IY3EsgehN9V0yntRRpFXPZTMJ+bDKpznbyyNUdeiRliX1v2WQTaH6AzxkN"
    "SYrKQFF9ZYBnWF9S49S4ijZYRmpupjGRryffDLHfBHtjZXg7GDQ4I4DkdSWvzJDHENvt3H"
    "Q7l71GkRluC0T3SXnJXC+T7vy5XdCw6fDxALTHJbB1VTCO0IKhyVPiXQTI9x+uoQG8DxMK"
    "ITJ3df3iaqjDE0nCY9FqWwn2GF6zr+bteToFmGDqfRL9bfpLIt7yTIkJbgtYFNWkZLdrWf"
    "wU/0owcSGvmM9FTY68JYFQq8ldCHB0mUG32cysWHlNptiaGImhOLVJiFTEc7TFVbSNV2Oc"
    "3HBrsMk+d2u724qNDzvY3OZsIJghfMM1GOPtUs/2XGYFlrPmFS+5sssIQW/IymNkwrFF/u"
    "xmRVytXlBUHCuXwXyRbLRaY4jlrNTSxItXaUztd+/79SnYBoduQtGm+LN4iSYH6P1oH8UL"
    "OlZm6/jBsCVU2jnsejT6+E6hvlLU8Ws47vSHvWvq+xWMunfm1aDzF01aRJqVwzvCiDWc4t"
    "7x0tSb+/EI8xQQ/p72K8cMJqabh5W0F6L9iwsE6lDhjjIJOeyO8ngDare/i9TLbs0ZjHTk"
    "ypI6McDUUa0naNtI58yQYn+TLLIiXie18vR5IJ9H6pPnqMunPwN8eaPxWavAYHzWEo7F9B"
    "XLNsDYNSH1ixcRnuPYxsFWpMXXy8/KdbA1V73HEu09BXt5rX0naw/pSLj/Bm7ZaIpM1T9T"
    "VGpLkwbKRl6okQe8rdPWOVDZ5KXvrHStlL6zP5aAF7aFLfoNJdVwaVyVtaNrzlnH7SL7EJ"
    "JLrPFst1aYESMat2BGpPaTq2R5NWO/qO0q3fQYu9U16RHX/e64mPsWcNQcQ+5aLlz1W6lt"
    "x3WL5/VBj6mKaQ3tsjvxj6sTxyVtqHEfFxhRmUFghRU16kwHDKFRrTmoQkbSrc1ARzl20r"
    "IKmY00MVWbc/awS3Vmlo3VZP0yZI/hV4Edgws+MPM7Wjn3/hzn70+jhfNgNPwtzJ7etKYt"
    "n+Z0Xep5WMl8Uea9yUXsfJHj+VIHf4vKGDb8mBWczYNhgdwwFxyGJxSzT45bzdZOGvTl6P"
    "Zi0FOurnvd/k0/UHtFu27vJU0iCSjcNHQGafsccKD6BAyX04CFVmcWdFgD/gbUbj1oiGuD"
    "B2SUc4VgQdKELzDhl1F6R4CKqLprZbBfQmCLAjaJKWdRkvfyvDsYaI/U4cF2S0akySIrwn"
    "+tTDyuA6ZQJRlItbyAkaVkwEdLOZSXA5xMoIYJtfOFZfKPnIrFwAVXRAq1Go2kX8X+Occl"
    "lzlYrnKkQV/ae2N7b8b+WMQ0xhyvWt8utulpuirbbXYV1iAIfsKx7sRhUcRmHf+ATzFzDj"
    "0bqWgzQDNBu6nc3/toFen39wowdZLiOtGzDRWfL+dIAY6CTAXPoGIZuuLV42eFCl9XNEvP"
    "xJve3S/dmWTk0Z24RHo8nC3TT2nemXfmhYtIIUAx4VIhSyFa+JRw7JWkAGMJnh1FR/oRgf"
    "pkv4rq+Uuz2TxSgkr6D1Q83v/uaBPHzi/fyAORJPn7+v7+KKiDA56g6hdD6kU6FrQx+Sb8"
    "s+KazgJqiLQL+i10KHUUDB4h/VpkK0FzdpqNo80MbOEnZPvyTV4oKQa3L+taIjT93NXVBW"
    "nLZMqGZPxoBr3Ar1ZTJTJUoyrWLHh90IxKCiSB2pV6vCKBc0sEQ5AGzB0aGDTXtunRhzUi"
    "93OgB6YcAhvPVGA/zsDcj6MOTISBjdy5X8uJRQeTVut4axLZiUmZ9IUFWJrrCIUDld7mhU"
    "iHX8lUhOg8pC4sxI/5haZCewYXXncT0T/a7ZOTt+3WyZvzs9O3b8/OW5FRI/sqz7px0f+N"
    "GjgYaWQtHgZ8gkYJG1KUX56ljbTptt9JipOYhByWx7Mq2TThV7KPKWnSTGIklQl/UQcj7J"
    "Y/4s3AJKFRJ0f/LeO1EGaXBMa6LwwNA00hN56UONRiCiYJjYMrLnkO9jmRFYP8ksJo+am7"
    "Gig5RDIYSWU04ZDdEXLmHCOeeLJJQCSR0Xrc1R7LLMeD7JLAyKkIObo1L0FhDJAkplVU+q"
    "JMh2ZAhyWzXSEyqR6lFJExQPpo8uicIk2oL8ohlYUdWH9Rsfa5NqlZqGyz3Fkd6eU0G0nI"
    "odtqxRrrGmymYbKRcqhdqBPqS0CqATgq4ZzzLxnkmsdgKkbwjs/DWJpGq1u8EceAuhs5tt"
    "ZmfUrUR9NaGlCfllEt8aCS10iBbNuu4Hxnjvo4CZJchoeKICijqAuzS/6izSjppmAyQQYq"
    "q63jQSWvUR8nmWxIXcH4tzzkdPQMUrK68tKjYhHyc25A2rdvD60hDYybXUI1bsad4WV/+N"
    "s7Jcx0Z970x2M/CWHspQz+8p6N57CQg4fHR+YTNLFlc/YO4tMPDEgegVjjoNUXFy0WkONV"
    "lXO+KoGpCOe1OuJDnaddR/WPqZU95JlCVoT/WrV55KhAnyPOPHBhWQYEpmCsScBStD8Q3D"
    "75jnNtm/CL0WjAEH7RT8c/uf140SNj+2t2F83xK3CCSHWcwWUV0QmgpHo11QFdaxxkY5Fb"
    "OMhWH0VRLU6zMUdDyUsbAWPdq7ZEeOkSXcglWp4WfeH9ywAOVqmu/Imz486XcAoqRVxRES"
    "9sawIdh17xVepe6QxOWqn8VUjmtDWPa47Fqmy45yumsHrxLDpWfZQN9cw2MibWM6mFMrwd"
    "DIrFevb26N41PlGA4g3Ptr/EmM/p6xl1yVZBtoTKizIk+WfOe15Re50Sax8uIeBMGDQh5n"
    "RV6ISkMqlYBAUfoFimF1LAL+VI8Rc/ynKGDKjc39OAht6p9p+UVxhpj+RfUhMDeatglaa8"
    "Vn5VWvf3zbT2eVe/sUFEAd5SQXxsnbtAoEEZmt5x7jXaeakwAt4v0T+nNQsSEITt8hjL0C"
    "3e1aZgL/Cc+7Zuj05sZQkVU66pJeeAewIjSS5Acjg8ldhmJCGHNdtWaIvBXG3Jju8lqOUg"
    "JcOC04CmU86Fk8HI0+ehma/01Ygv+U7E4/Z5EY+B9nnO7R7n6SH2CTnID5utCqIliMnmYQ"
    "88r3lVMuDWOD9pF6D8pC1knL6SOvAfS0FaneBpWXnWI1pXnko0imi4qTo0KqiWrK5WhSab"
    "E6MG7XZuup3LXp4WdKfql1gPzVO+MFrqHNVLlO+AF5GVMoAUtXoEwtxMm1H55XJV7xer0G"
    "1u2w/Ot+bNVvJSK2aVUfxSq4kBnixbxYTZMnynYJLvonxT507VpoY7G87L3nnABVfEObR2"
    "zrkqmbJpmGKeEXCFCBhkRfivlXOu84gMY00BZKFSAuvc+qHNgIk0YKzjos5HV0QOtRqJqL"
    "/5E0A+CxkJrHRVT0J35kNdaH0ZZaqYB3Vmo17EsSZx4cCmjg/1U+kexOOhA22kzRqc7Xbw"
    "5ihvqw3iPHKXva92sutd9hO9JkF0kFOg7o8hL9B6vROHd9qpSjAcZH+B7B63Ct1M38q5mb"
    "6VvWvAolZTztZavLZKQCqyoNq5rn1rK6sSk/32J7Pv/wcYLaJO"
)
