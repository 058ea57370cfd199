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
    "eJztXWtP47ga/itVP81Kc0bAwuwKHR2plM5uz5SWA2VvM6PIJG6xSOOSOBTOHP77sXN3Yq"
    "dx2tKE9RdEHT+J87y+vDc737sLbEHb+9DHDgHIgW73tPO964AFpP8UL77vdMFymV5iBQTc"
    "2kFtM64WFINbj7jAJPTKDNgepEUW9EwXLQnCDi11fNtmhdikFZEzT4t8Bz340CB4Dsld0K"
    "Qv32gxciz4BL345/LemCFoW1yLkzYYyGKtCGoY5HkZXL25GZ5/CjDswbeGiW1/4Yhwy2dy"
    "h50E6PvI+sDQ7Noc0nqAQCvzaqzlEQ9xUfgWtIC4Pkyab6UFFpwB32YEdf858x2T8dIJns"
    "T+HP8ramSmmmGMJ1PjejA1jK4Cn/TlmCyQQxh531/C+6bUBKVd9oD+r72rdz9+/CGgAHtk"
    "7gYXA+K6LwEQEBBCA0GkzHvYd00YMlYgvn8H3IHjLwLyh7Q1wDFhQQi5W+RkQF+hDvtxQU"
    "p/2h1jYmPqqpPdHYx/G15NxheD8fS0A51H5GJnAR3y1Rn852Z4GZU/+GgZlvYnV5fXg9OO"
    "id2lF776WkF1F+DJsKEzJ3f05+HHEsH91rsKZHcYyg7TkRcOynF05Si4xESYiszFeCEcJ0"
    "xc4nGSgdQST9T1S6RTGBzqwqk8EniCj05OKjBMa0kpDq7xHNvYvDdofye1RwV/hz0PCt9h"
    "zYGWYETcjEeT/ufB+WknrvTViUvi39eD3oj99iCwo5vsfRSYYAlMRJ4Nz8bEK0pp6BDJml"
    "EA5oRD36A5M1b1QTFnjfjH0eHxT8c///jx+GdaJWhoUvJTiQiG42mO3xVE8zti2GiBiAK7"
    "eVgtbtdPN62m1oImeDaAgNZzyglBCyjmNovL8WpFwA/xP62b1EsYnA4vBtfT3sUlu/3C8x"
    "7sgKvedMCuHAWlz7nSd/m5JLlJ5/fh9NcO+9n5azIe5HWmpN70ry5rE/AJNhy8MoCV5TEu"
    "jos4AQPbxitoGS62oWBq+vf1ZCyWcAGYFzMySed/HRt5rztFffm2G8kyJjihxjP+u4veH/"
    "nFoD+anOWlxW5wlhteC0gA03dViM9iGsL595cWcW66kHFSY1LjkVuY1rYngTFevftBT2mh"
    "Kb20agqYR2oBN1TAGVcKgdRYjOwaRUOz/C47sj1fVxnk7JqPxxXsmo/HUruGXeJnUugQZp"
    "yo+cE40AZOsIZxvYnLK2UUr9Qdi1mM5vPlhXluZ/dCD2JAVZHbT9ilpqDzGT4X/CQ5QiN3"
    "9aUNnmELJ4SXuO/EpWkTXbBKnN1cl6JvT98ZkuD9aQM645vRqCuYBzSva3nl5j6O2H7vut"
    "87H3SrrHNbIHpI75et9TbpLl/hJR2bTR+3wLxfAdcyJPMIuzF0RK68swj56fMVtEHwYlIh"
    "JEGvfni7FnryZJIIWMRHOMMex2vx0uJokS8BDpgHr8SezZ4k460soJjhtkJc0chKdrvxxS"
    "/pU6KFCwW3+VY18CjSCqS+TaE6IPBoRsNms+Bi4/2Z8phiIobq1GYh2h0v8Bk3MULejHly"
    "Q+tgE2t3azZuw+aHHZi4JQYEN4VvqINxOS/t7M8qGliJzitXuYpqhGQ0FOUxceAU0z+70Y"
    "ibNQqqimOtGiwWyUbaGkesQFPLEy/X0rjW7z4D7EtkBsfJQolR/E2uoukJ+nV8kHKFjpdZ"
    "nWwY/g6NThG7mkwuTjssY4qlf42nveF4cMUywKJZ96tzOer9yYqWiWdl/+kwcienfHSUOD"
    "nfgGt+V3lhgQMitGmfBMEwOd0irKa9Eu0PPpC4Q6UWZRayX4vycANqt29FWqqmOYfR6VxF"
    "Umc2mHsGfoSuiyzBCinPOikiG5J70qp8n1v6erQ9Zem6YvoLwLc3G58cVJiMTw6kczG7xL"
    "MNCPEdyLLjZYSXpLcJsA3p8e3KtvI9ghdG8FOhv+dgb6+370T30OmEr9/BsYvmyDHCnUVK"
    "Jk0eqDt5pU4e8VanrwugusvrDFqdYKkzaP9eAl66mGD2DopuuDyuyd7RmmvW4VEVO4TWkn"
    "s8jw7WhBETGrcQRmTxk8vs/VrGftXYVb7rcXGrKzoirob9abX0LeAZJYHcWilc7dPUtpO6"
    "Jcr6YJtV5bTGcdmd5Me1iWPFGGo6xiVBVG4SWBNFTQbTHg/SaNYa1KAg6dZWoPclcVJVh8"
    "xGnpimrTmvYKV6d9glRrZ9BbKn8EkSxxCC98z8jjTnwR/Tcvs0UZxHk/EvcfW80ZqPfDrz"
    "utSLsJr5qswHi4s8+aIk86UN+RaNCWyEJ1cIjAcbg9LDLgQMzxjmNTk++HCwkw59Prk5Gw"
    "06l1eD/vB6GLm9Eqs7uMiKaAGKjYbeKB+fAx40HoHtCzqwNOrMg/YbwN+A2q0fHeK74BbZ"
    "aqkQPEiH8CUhfBWndwJoiKu7VQH7FQSu7NgmOeU8SvOuzrtHgHnPEh5cX/FcmiKyIfy3Ks"
    "Tje2AODVqBNis4NlJJBmK0loO6HOBsBk1CqV0ssSPecioXgxDcECm0ajbSeRWvzzlRVHOI"
    "1nJ0QF/He9N4byH+WCU0xm2vqh8X23Q3XZPjNrs61iA6/EQQ3UmPRZGHdcINPvsM5wQNUN"
    "zyzYH0ieiqJ6L7njLjGchu99c35EBWhe31OiS2Q5e16bsuS6avcSK8ALpnyiFwyZ0B3Ps7"
    "sAjP5wYOIsBF/iJs5Qyzae3g4HBrEtlJkJKOhSVYOXWEIoDq/OVKpMOnJXQRZLu8lxgJTX"
    "qpe1yI1RGHOO4LH6GtwGZSX2+6TNyubtj3q5OYheyXx5MGdUXackJHqlrsK4vRVGYSCz2C"
    "iK++F5iDaUKTQY7+qxLejqtrAlMnCYG2jeZQePCQ/Ey+HEwTmp7CtxJlYpccwRfV1xQmWq"
    "Xlm0BxiuQwmspkwaFGD/IWgmiPfLHJQDSRiT7um/cq6nhUXROYZJ8gz8ILBQpTgCYx73my"
    "lioDmgPtl8yjBpHJ3CNKRKYAncwnonOOTHU3UB62Z/9Fg/onXUOQpWZ2ZyH7JrJBTGLTZK"
    "2qzmMK0A5JjkPj3sErG1pzFWNRBNW8Ji4h1/UlW3tKHEJZkOYyzieHQMX0jqtr/hL1kg5T"
    "MJshG6na3yKo5jUZ47SSCz0kO+C7ZKAXkJrVtd+7qHY4csnHL147CM9ayM5ELKrz3etpb3"
    "w+HP9y2okrfXWuh9NpWIQICUpGfwa/7ef4Jns/GRk5j9ToxK5AfZUnvnIgnf1aI8f+wUfL"
    "JRSkP5Sk1mcwDeG8Vdnd7ExN3zPCHQqq+3tyyIbw36o+jzwDWAskWAfOMLYhcCRzTQaWo/"
    "2W4l6Tb9XU1uqEn00mI47ws2F+6/vNxdmAzu0B++mGYkGk0IsOKRJMLuuIzgA11eupjuiq"
    "sYeBR25hD0PDnJZt38jA7QqiF10E7LpfWZHhde5ipdxFvVHojY8vG3jEACZBjwKLu1zCOa"
    "gWcUNFvHTxDHoe+7qL0idFCzgd0Au1kMJGOxHXRaLVv47N3axdPMt21L0vnvLJd7INvtIc"
    "2OjBFxySsym39cXmtyMAPl61cugSrdna0wbQdHyLNoFyo79kI2hSb4+bQfW3qnfwrer97k"
    "9s0AGp29+dWPOwSH1OJKfeVj8ncmaDR+wa4s8SyvnOwTTfVflmTnPDZQqRG3zTStnjXgA3"
    "xOneuqCHQZdsRJ8oUq7WiIBDNoT/VgU9vHtk2zUFUIRqCdQ5SMu8Aw4ygV0n9CdGN0QOrZ"
    "qJWBzvEaCQhYIE1oYAs9CdxaYq6ZdJpYZFpmodvpQ5w6e+1Z0eFqRN7u46k7sHXWTedQXm"
    "dnTlfZmpDdI62sp+rX6yayv7kY5AaYKcmNoM5A2eBbSTQCIbVAoMR9XfILuHB5U+9nJQ8r"
    "GXg+JhS+kHk6rqVhlIQxSqnSc/bE2zUljst7+YvfwfIWemlg=="
)
