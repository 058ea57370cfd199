from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "player_effects" (
    "id" UUID NOT NULL PRIMARY KEY,
    "effect_type" VARCHAR(64) NOT NULL,
    "category" VARCHAR(64) NOT NULL,
    "duration" INT NOT NULL,
    "applied_at_tick" INT NOT NULL,
    "intensity" INT NOT NULL DEFAULT 1,
    "source" VARCHAR(128),
    "visibility_level" VARCHAR(32) NOT NULL DEFAULT 'visible',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "player_id" UUID NOT NULL REFERENCES "players" ("player_id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_player_effe_player__269d3d" ON "player_effects" ("player_id");
COMMENT ON TABLE "player_effects" IS 'One effect on one player, active while ``duration - (tick - applied_at_tick) > 0``.';
-- Hand edit: rules Tortoise cannot declare on a field (Meta.constraints, models.EXPRESSION_INDEXES).
ALTER TABLE "player_effects" ADD CONSTRAINT "ck_player_effects_duration" CHECK (duration >= 0);
ALTER TABLE "player_effects" ADD CONSTRAINT "ck_player_effects_applied_at_tick" CHECK (applied_at_tick >= 0);
CREATE INDEX IF NOT EXISTS idx_player_effects_expiry_tick ON player_effects ((applied_at_tick + duration));"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "player_effects";"""


MODELS_STATE = (
    "eJztXWtv27Ya/iuCP7VAVyRu2hXBwQDHcTefJnaWODvb2kJlJNohIouuRMXN6cl/P6TulE"
    "hZ9CWWMgJFW1N8JOp5SYrvjfzRmWMbOv7rPnYJQC70OsfGj44L5pD+p3zxldEBi0V2iRUQ"
    "cOOEta2kWlgMbnziAYvQK1Pg+JAW2dC3PLQgCLu01A0chxVii1ZE7iwrClz0LYAmwTNIbs"
    "MmffpCi5Frw+/QT34u7swpgo7NtThtg4ls1oqwhkkeFuHV6+vh6YcQwx58Y1rYCeauCLd4"
    "ILfYTYFBgOzXDM2uzSCtBwi0c6/GWh7zkBRFb0ELiBfAtPl2VmDDKQgcRlDnX9PAtRgvRv"
    "gk9tfRL3Ejc9VMczSemFeDiWl2FPikL8dkgVzCyPvxGN03oyYs7bAH9H/rXb548+5lSAH2"
    "ycwLL4bEdR5DICAggoaCyJj3ceBZMGKsRHz/FngDN5iH5A9pa4BrwZIQCrcoyIC+wjrsJw"
    "UZ/Vl3TIhNqKtPdmcw+mN4OR6dD0aTYwO698jD7hy65LM7+P16eBGXfwvQIirtjy8vrgbH"
    "hoW9hR+9+kpBdebgu+lAd0Zu6c/DdxWC+6N3GcruMJIdpiMvGpSj+Eo3vMREmInMw3guHC"
    "dMXOJxkoOsJZ6461dIpzQ41IVTeyTwBHffvq3BMK0lpTi8xnPsYOvOpP2drD0q+DvseVAE"
    "LmsOtAUj4np0Nu5/HJweG0mlz25Skvy+GvTO2G8fAie+yd5HgQUWwELkwfQdTPyylIYukX"
    "wzSsCCcOgbNGfGqj8oZqwRP3UPj34+ev/m3dF7WiVsaFryc4UIhqNJgd8lRLNbYjpojogC"
    "u0XYWtyunm5aTa0NLfBgAgGtp5QTguZQzG0eV+DVjoGvk/+0blKvYHAyPB9cTXrnF+z2c9"
    "//5oRc9SYDdqUblj4USl8U55L0JsZ/hpPfDPbT+Hs8GhTXTGm9yd8d1iYQEGy6eGkCO89j"
    "UpwUcQIGjoOX0DY97EDB1PTvq/FILOESsChmZBHjf4aD/Kedoj592Y1kGROcUJMZ/8V578"
    "/ix6B/Nj4pSovd4KQwvOaQALbeVSE+j2kI5z8eW8S55UHGyRqTGo/cwrS2PQmM8PLFSz2l"
    "Rar0wl5TwDxSC7ihAs6ZUgikymKs1ygqmtV32ZHu+bSLQU6veXdUQ695dyTVa9glfiaFLm"
    "HKiZodjANtYARrGNebmLwyRvFS3bCYx2g+Hx+Z5XZ6J7QghlSVuf2APaoKuh/hQ8lOUiA0"
    "NldfOOABtnBCeEz6TlKaNdEDy9TYzXUp+vb0nSEJ3582wBhdn511BPOA5nUlr9zcxxHb71"
    "31e6eDTp3v3BaIHtL75Ws9T7qrv/CSjs2mjxtg3S2BZ5uSeYTdGLoiU95JjPzw8RI6IHwx"
    "qRBSp1c/ul0LLXkySYQs4i7OscfxWr40786LJcAFs/CV2LPZk2S8VTkUc9zW8Cuaeclu17"
    "/4KXtK/OFC4W2+1HU8ilYFUtumcDkgsGjGw2Yz52Lj7Zlyn2IqhvrU5iHaHC+wGTfRQ96M"
    "eXJD7WATbXdrOm7D5ocdqLgVCgQ3hW+4BuNiXtrZn1VWYBVrXvmSq7yMkIyGsjzGLpxg+t"
    "duVsTNGgV1xbFyGSwWyUarNY5YwUqtSLx8lca1fvcRYJ9iNTgJFkqV4i/yJZqeoJ/GBilf"
    "0PEyWycahr9Do0PELsfj82ODRUyx8K/RpDccDS5ZBFg86352L856f7GiRWpZ2X84jNzIKR"
    "8dFUbOZ2Ca31VcWGiAiHTa7wJnmJxuEVbTXov2bwGQmEOlGmUesl+N8nADarevRdqqqjmH"
    "0eFcZVKnDpj5Jr6HnodswRdSHnVSRjYk9qRV8T439PVoe6rCdcX0l4DPbzZ+e1BjMn57IJ"
    "2L2SWebUBI4EIWHS8jvCK8TYBtSI9vV7RV4BM8N8OfCv29AHt+vX0naw8dTvj0HRx7aIZc"
    "M8osUlJpikDdyWt18pi3dfq6AKq7vI6g1QGWOoL2nyXghYcJZu+gaIYr4ppsHV3zm3XYra"
    "OH0Fpyi2f3YIUbMaVxC25E5j+5yN+vZezX9V0Vux7nt7qkI+Jy2J/UC98CvlnhyF0rhKt9"
    "K7XthG6Joj5Ysqqc1sQvu5P4uDZxrOhDzca4xInKTQIrvKjpYNrjRhrN+gY1yEm6tS/Qqw"
    "o/qapBZiNLTNO+OU+gpfq32CNmvn0lsifwu8SPIQTvmfkdrZwHf06q9dN04Xw2Hv2aVC8q"
    "rUXPpztbl3oRVjNfl/nw4yIPvqiIfGlDvEVjHBvRzhUC5cHBoHKzCwHDU4Z5So4PXh/spE"
    "Ofjq9PzgbGxeWgP7waxmavVOsOL7IiWoASpaF3VvTPAR+a98AJBB1Y6nXmQft14G9A7da3"
    "Dgk8cIMctVAIHqRd+BIXvorROwU0xNTdKof9EgJPtm2TnHIepXlX590nwLpjAQ9eoLgvTR"
    "nZEP5b5eIJfDCDJq1AmxVuG6kkAzFay0FdDnA6hRah1M4X2BWnnMrFIAQ3RAqtmo10XMXT"
    "c04UlzlEr3K0Q1/7ezN/b8n/WMc1xqVXre8X2zSbrsl+m11taxBvfiLw7mTbosjdOlGCzz"
    "7dOWEDFFO+OZDeEV11R/TAV2Y8B9ltfn1DNmRVSK/XLrEdmqytwPNYMP0aO8ILoHumHAKP"
    "3JrAu7sF82h/buAiAjwUzKNWTjGb1g4ODrcmkZ04KelYWIClu45QBFAdv1yLdPh9AT0EWZ"
    "b3AiOhSi81jwux2uOQ+H3hPXQU2Ezr66TL1OzqRX2/Pol5yH55fNugrkhbTuhIVfN95TGa"
    "ylxgoU8QCdRzgTmYJjQd5Oi/Ku7tpLomMDOSEOg4aAaFGw/J9+QrwDSh2S58S1EkdsUWfH"
    "F9TWG6qrQDCyhOkRxGU5l+cKjSg/y5wNsj/9jkIJrIdD0eWHcqy/G4uiYwjT5Bvo3nChRm"
    "AE1i0fJkL1QGNAfaL5ndBpHJzCNKRGYAHcwnonOGLHUzUBG2Z/tFg/on/YYgW03tzkP2TW"
    "SDmMSWxVpVn8cMoA2SHIfmnYuXDrRnKsqiCKp5TU1CnhdIUnsqDEJ5kOYyiSeHQEX1Tqpr"
    "/tLlJR2mYDpFDlLVv0VQzWs6xmklD/pItsF3xUAvITWrK8+7qLc5csXhF0/thGctZHsilp"
    "fznatJb3Q6HP16bCSVPrtXw8kkKkKEhCVnf4W/nYfkJnvfGRm591TpxJ5g+SoPfOVAOvp1"
    "jRj7bwFaLKAg/KEitD6HaQjnrYruZntqBr4ZZSio5vcUkA3hv1V9HvkmsOdI8B04wdiBwJ"
    "XMNTlYgfYbintKvlVDW+sTfjIen3GEnwyLqe/X5ycDOreH7GcJxQJPoR9vUiSYXFYRnQNq"
    "qldTHdO1Rg4Dj9xCDkPDjJZtT2TgsoLoRQ8BZ91TVmR4HbtYK3ZRJwo98/HlAJ+YwCLoXq"
    "BxV0u4ANUibqiIFx6eQt9np7soHSlawmmHXrQKKSXaibguE61+OjZ3s3bxLMuoe1Xe5ZPv"
    "ZBuc0hzq6OEJDunelNs6sfn5CID3Vy1d+onWbNVjS2q8UCEpyu0chLd60k9i6zNlY86k+b"
    "IZp6uyZvPGpJXJs+xgUSMCGNilf2B8uN4rI1r8GMtb5EDj61e2l1WYX/qT8YIg647+S1vi"
    "oHAVbLKSl8YvxsHXr6+L1uddPWOD9F61LFOd0LteQm+8Y0vIWIluuVZbgD3DhNRtHRyaU2"
    "UpFTOhq6UiEzWH0STXIDmZnhTUjDxkv27bBqkY3Klm/PyuQK0AqRmW5Pe4vloUIYfR+aSJ"
    "m0/5VKznfBzWYfd9nYiB7vuKjd3fF6fYe+SjaMdUU5L/LCdbhN3zdy1skgO3xvmbbg3K33"
    "SljLNL2gb+zzKQNmono7JI27GzTpVVNN3PalOLaHqjVrK62hqa71ScJbTfu+r3TgdVhtCd"
    "WmAyU7TI/sIZqiusL2m9Pe5bpuQDqev4iIW5mUGj8Svmpp4u06CzfLa/kdaa55roI024hU"
    "b9I02mDrjHnkkosyp8F2Ca77p8s/hO02O+Oy88fl05OLQEbkh8aOvic036yUb0iSI/4AoR"
    "cMiG8N+q+Fz/DjnOmgIoQ7UE1tnz3boFLrKAs06UuhjdEDm0aiZiIef3AEUslCSwMlo9D9"
    "1ZGHWt9WVaqWFB1CVFvU5sTW676U1jH9pn1d1L0EMPesi67QjU7fjKqypVG2R1tJb9VP1k"
    "11r2PR2B0lxOicU/gzxDB/ZOYt7ZoFJgOK7+DNk9PKh1LvFBxbnEB+V9wbOzveuurXKQhi"
    "yodm5r39rKSuFjv/2P2eP/AbjJqZ0="
)
