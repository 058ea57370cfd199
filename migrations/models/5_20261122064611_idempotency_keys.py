from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "idempotency_keys" (
    "key" VARCHAR(255) NOT NULL PRIMARY KEY,
    "method" VARCHAR(64) NOT NULL,
    "fingerprint" VARCHAR(64) NOT NULL,
    "result" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS "idx_idempotency_expires_ae52bb" ON "idempotency_keys" ("expires_at");
COMMENT ON TABLE "idempotency_keys" IS 'A write that ran with an idempotency key: which call it was and what it returned.';"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "idempotency_keys";"""


MODELS_STATE = (
    "eJztXe1T2zga/1c8+dTOsBkItOXY250JkN3NLU04CHu7WzpG2EqiwZFSWyZwvf7vJ9mOXy"
    "VjO2821RfayHpk+ffo7XnV19aMmNBy2mcEU4AwtFsn2tcWBjPI/pN9uKe1wHwePeIFFNxb"
    "Xm1jWc0rBvcOtYFB2ZMxsBzIikzoGDaaU0QwK8WuZfFCYrCKCE+iIhejLy7UKZlAOvW69O"
    "kzK0bYhE/QWf6cP+hjBC0z0eOwDzoyeS+8Gjp9nntPb2765794NPzF97pBLHeGRXTzZzol"
    "OCR0XWS2OTV/NoGsHqDQjH0a73mAw7LI/wpWQG0Xht03owITjoFrcYBa/xy72OC4aN6b+J"
    "+jn4NOxqrp+mA40q97I11vlcCTfRznBcKUg/f1m99uBI1X2uIvOPute/Xm8P1bDwLi0Int"
    "PfSAa33zCAEFPqnHiAh5h7i2AX3EMsCfTYHdw+7MA7/PegOwATNMSDWR4gH7hCroLwsi+K"
    "PhuAR2CV1xsFu9wR/9q+HgY28wOtEgfkQ2wTOI6S3u/fumfxmUf3HR3C89G15dXvdONIPY"
    "c8f/9BcZ1ZqBJ92CeEKn7OfB+xzG/dG98nh34POOsJnnT8pB8KTjPeIsjFhmEzITzhPOLv"
    "E8iZFUYk8w9HO4k5kc5ZlTeCYkAe68e1cAYVZLCrH3LImxRYwHnY13WnlWJFvY8aRwMe8O"
    "NAUz4mZwMTz7vXd+oi0r3eJlyfL3da97wX87EFhBIzufBQaYAwPRZ92xCHWyXOpjKtkzMo"
    "Qp5rAvqM+KVXxSTHgnfugcHH04Oj58f3TMqngdDUs+5LCgPxil8F1ANJlS3UIzREugmyar"
    "hO3Ly02joTWhAZ51IID1nGFC0QyKsY3TpXA1A8L28j+NW9RzEBz1P/auR92Pl7z5meN8sT"
    "ysuqMef9LxSp9TpW/Sa0nYiPaf/ug3jf/U/h4OeukzU1hv9HeL9wm4lOiYLHRgxnFcFi+L"
    "EgwGlkUW0NRtYkHB0vSv6+FAzOEMYZrNyKDa/zQLOdtdoj593gxnORIJpi5X/Dcfu3+mN4"
    "Ozi+Fpmlu8gdPU9JpBCvh5twzwcZqaYP71W4MwN2zIMamwqCUp17CsrY8DA7J481Ytab4o"
    "PTcrMjhJqRhcUwbHVCkUMmExkGtKCpr5rWxI9tzuYTAh17w/KiDXvD+SyjX8UXIlhZhy4U"
    "QE+zW15aqwBN1rAHoVfVcEJ1nItIq5aMbJvm8wuc52/CDUHXogZYH9hdhMCMS/w+eMhiQF"
    "ZaCovrTAM2wuqFFp1EUbLEI1d2Iwsa9n3wypPwR7I21wc3HREqwACtcXcU0seQlgz7rXZ9"
    "3zXqvIDrcGoPusvXit1wl3/t4uGdh8+bgHxsMC2KYuWUd4wxCLlHinAeUvv19BC3gfJmVC"
    "aO4685troA5PxgkPRdIhMfQSuGYfzTqzdAnAYOJ9En83f5MMtzxTYgzbAhZFPc7Z9VoWP0"
    "VvCTYu5DXzuajJUXQkkGo1hQcBgS4zmDarmRVrr8mUWxNDNhSHNk6iFPECbXEdbeP1WCdX"
    "FA1WkXPXJt3WbH3YgHCbI0AklvAVz2AJb5dmjucyJ7CcM6/8yJU9RkhmQ5YfQwxHhP3ZzI"
    "m4XrOgKDtePAaLWbLSaa1vwtmcsEOV8czmhuislqqRe1JDUV39AT4XO6e1utrCZt+u0Smg"
    "mg2wtkB0qrF/Y81prLkTbTFFxlQzgGVpiGoL4LBaJitldOy3DalrY2i2Wym2rP8Nt/gWj6"
    "ZQs8lCQ47GmAZtNhr3vNqIOqymw8YQ+8cgtskfIMzeznrA3u4A38mLjL0iv2uMCFrjPc0h"
    "GrjFBpnNEGUtem8A1gI8O9oMMtoYSViprfWe5sj2azus3MVU412/d9hp2YNjBWe6ByhQHs"
    "i3sqD6q9u91ugXJD/wzhh3SKmTQ0RRZ0e52qjDx+zl0J7bgSxQFOUUmYK6ANT+EphFeQSf"
    "JLJbRPHKdeSj3p+jfJt5aMy7GA5+XVZPG9KVzfy7MqlCb5N3KjA4SbkdBitnr+Jczsi0ZW"
    "SuNQoDcSlLJAqkpLAcQSAuymw+EORTYBNbxgyEFrLPcn2t0tZs50AgP+wmeVbFKT7ZQp1P"
    "Za2r4fDjicYDJ3gUyGDU7Q96VzwQJFDB3OLLi+5fvGgemll37xUvd3eQz47X5uuwnfAQzx"
    "rpG7ieSokmIloFeyHYv7hA4hshNS/FSXZrXjpYAdr1m5TMsna6BI2K6siCOrbAxNHJI7Rt"
    "ZAp2SLnzeZayJi7ojXL7v2efx/qTF7Unhj9D+PpW43f7BRbjd/vStZg/SqINKHUx5EGyMs"
    "BzolwEtDUZ8c0KunAdSma697PEeE+Rvb7RvpGzh4oq2v4AJzaaIKz7CQZKiTRpQjXICw3y"
    "ALcqY11Aqoa8CqRTRgEVSPd9MXhuE0r4N5RUw6Xp6qwdrbhnHXSKyCGsllzj2dl/wacwhD"
    "GLfaW4jst4ew1Dv6gjW3roJZzYrtiMuOqfjYrFcgBHz/HqrBTP0byT2nriOEQu4DxnjRzW"
    "pZPmRoJlmoRxSRtqNMclRtTEIvCCFTWcTDvMp1evPahGRtK17UB7OXbSsgqZlTQxddtzti"
    "ClOlNiUz3evwzYcp81IfGOkd/QyXkTTmsWwZOq0ItoFfJFkfc2F7nzRY7nSxP8LWpj2PAT"
    "2AmEB4uA3Jx3AoTHnGabGO+39zcyoM+HN6cXPe3yqnfWv+4Haq9Q6vYe8iJWgJZCQ/cibZ"
    "8DDtQfgeUKBrDU6pwk2q0BfwVo155B0LXBPbLKuUIkiZQJX2LCL6P0DglqoupulMF+AYEt"
    "y94qhzxJpXAvj7tDgfHAHR5st2R6yixlTfBvlInHdcAE6qwC65YXWFiKB2JqxYfyfIDjMT"
    "Qog3Y2J1icf0bOBiFxTbjQqNVI+VVsH3Na8phD1SlHGfSVvbdS/FdMgRMPr6puF1s1tUad"
    "7TabCpQLMiEKrDtRjkS5WccP8CmYHGOIoWZMAa8E7bZ2d+dT68i8u/OyTdzduU7424aaj5"
    "ezxxNABEkniGVqXj9+1DjzTc0gZubymc296Razlcd0ohZ5rqhkm36Jl1bj1EWsEaBhuNDY"
    "UYg3PmEYey0tM2GYyNxjpD7Yb8J+/tRut/e0oJP+D84e73+3fIhT56ev7AfjJPv79u5uL+"
    "iDAx6h7jfD+uVn82DfRH/UXOzMoYHYuODfwpdSR6PggacSgcjWguHsrJpjI/yE7Fy+zssr"
    "m6DblnUtdk/VzDX1ORvLbMuGbP1oB7PA71ZbZzzUwy427CarYBiVZEiMalPq8ZoEVpfIjK"
    "YMmBs0MBiubfPQhwrXeAlIdww5BDad6sB+mIKZf6kSwIgCG7kzv5djwheT/f2DtXFkIyZl"
    "NhfmYIGrMEVAqrzNC4EOn9hWhPg+pM8JEicARhOpPUNI3nQT0T86ncPDD539w/fH744+fH"
    "h3vB8aNbKP8qwbp/1fuYEjwY2sxcOCj9AqYUMK66tY2lCbbvuTpDiIcZLd4viuTjZN+MTk"
    "mJImzTiNgjLmL+pQRN3yId4JMgVoOMnRf8t4LSyrKwAj3ReFloUmUJhcVp53PUWmAI0yrS"
    "9EDvY5adaD+grC8PhpugYouUQmaBSU4YbDpCPkzARGPPlmEyNRQIbncdd4KHMcD6orAEOn"
    "IuSYZFYCwohAgZhWUZnzMhM6QbRbMDs1ApPrUUoBGREoH00RnBNkSPVFOaAmyXasv6jZ+K"
    "wMapZUjVnhro7McpqNOMmux2rNBmsFNNNkapAKoJ3rY9u/6QIIVMI58S8ZyophMDUDeMPx"
    "MMQwXFG6fekgjgiabuRY25j1IdEfMFlY0JyUUS2JSBWuoQLZtl1JfGeO+jhOpLBcBhVBUE"
    "ZRt6yu8AuFUTZNwXiMLFRWWyciVbiGc5xVsiF3BRNf+ZYz0TOUCtUXb0AtliE/5zrUbfv2"
    "8B7yxLjZI1TretQdnPcHv55oy0q3+Lo/GvlFiFKv5OIv77f1vGxk5+nxEX6EmBJbIDvIox"
    "8SRCoEokKg1RcXzedQ4FWVE18Vo6kJ5o0K8eHO066j+2FqZYM8U5Q1wb9RYx45OjBnSLAP"
    "nBJiQYAla02MLAX7PaPbJt5RrXUDfjocXiQAP+2n85/cfDztsbX9bVKKFvgVOEGmOsHi8h"
    "LQMUIF9ctQB3BVCGRLUq4hkK05iqJGRLMlQkPZQxsBq+pVWzJ65RJdyCVaRYu+8vllAYfq"
    "XFf+KJC48zmcIlUsrimL5zYZQ8fhV3yJ1k65i16aTlmp/FNIJtpahLXAYlU23fNlorFm4S"
    "wLq97LpnpODrJErmfWC21wc3FRLNezJ6N71/iECYpXjG1/jTmf09czmgqtgmhJlRdlQPJj"
    "znteU1vdEhufLiHATJo0IcL0pdQJcWVSsQwKPoFGsJdSwG9lT/MPP9piiiyo3d3xhIZeVP"
    "sP2huKjAf2L+uJhbxTsM5L3mo/a/t3d+209nlT71gho4DoqCAPWxceEHhShrYXzl1hnJdK"
    "I+C9if85aliSgCBtl4dYBm65VJsie4Vx7uu6PTomyjIoJkJTS06Ae4xGgVwA5OXyVELMiJ"
    "Ps1mxbIxEjcbVlcn0vAa2AUiEsiQbETjkXzgSNij5fmvlKX434mu9EPOgcF/EY6Bzn3O5x"
    "nF5iH5GD/LTZuiRbghxsEe2O9zWvSxZcG+aHnQKQH3akiPNHSgf+fSlI65M8LcvPZmTryl"
    "OJhhkNV1WHhg01EtWXVaHx4ZRQg551r8+65708LehG1S+RHlqkfEloqXNUL2G9HV5EVsoA"
    "UtTqETBzNW1G7Y/Ldb1frEa3ua0/OV/Fm63UpVaJU0bxS63GFngktk4ZsmXwTpEpvIvizZ"
    "07dZsb7mw4K3vngZC4Js6hjXPO1dmWzdMUi4yAL7AgQVkT/BvlnOs8IMuqyIAsqeJAlVs/"
    "jCnAyABWFRd1MXVN+NColYj7mz8C5KOQ4cCLrupx0o35UBc6X4aVauZBnRHUizjWxC4cWN"
    "XxoXkq3Z14PHShjYxpSyBuB0/28kRtENVRUva2xsmmpexHfk2CLJBTou6PSF6h9XojDu98"
    "UpVAOKj+CtE92C90M/1+zs30+9m7Bgi3mgpEa/nZKkZSkwPVxnXtaztZldjs17+Zffs/YV"
    "6JxA=="
)
