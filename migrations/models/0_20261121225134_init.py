from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "item_prototypes" (
    "prototype_id" VARCHAR(120) NOT NULL PRIMARY KEY,
    "name" VARCHAR(255) NOT NULL,
    "short_description" TEXT NOT NULL DEFAULT '',
    "long_description" TEXT NOT NULL DEFAULT '',
    "item_type" VARCHAR(50) NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "base_value" INT NOT NULL DEFAULT 0,
    "durability" INT,
    "flags" JSONB NOT NULL DEFAULT '[]',
    "wear_slots" JSONB NOT NULL DEFAULT '[]',
    "stacking_rules" JSONB NOT NULL DEFAULT '{}',
    "usage_restrictions" JSONB NOT NULL DEFAULT '{}',
    "effect_components" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "tags" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS "item_instances" (
    "item_instance_id" VARCHAR(64) NOT NULL PRIMARY KEY,
    "owner_type" VARCHAR(16) NOT NULL,
    "owner_id" VARCHAR(255),
    "location_context" VARCHAR(255),
    "quantity" INT NOT NULL DEFAULT 1,
    "condition" INT,
    "flags_override" JSONB NOT NULL DEFAULT '[]',
    "binding_state" VARCHAR(50),
    "attunement_state" JSONB NOT NULL DEFAULT '{}',
    "custom_name" VARCHAR(255),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "origin_source" VARCHAR(255),
    "origin_metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "prototype_id" VARCHAR(120) NOT NULL REFERENCES "item_prototypes" ("prototype_id") ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS "idx_item_instan_owner_t_c5c5d4" ON "item_instances" ("owner_type", "owner_id");
COMMENT ON COLUMN "item_instances"."owner_type" IS 'ROOM: room\nCONTAINER: container\nPLAYER: player';
CREATE TABLE IF NOT EXISTS "professions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(50) NOT NULL UNIQUE,
    "description" TEXT NOT NULL DEFAULT '',
    "flavor_text" TEXT NOT NULL DEFAULT '',
    "stat_requirements" JSONB NOT NULL DEFAULT '{}',
    "stat_modifiers" JSONB NOT NULL DEFAULT '[]',
    "skill_modifiers" JSONB NOT NULL DEFAULT '[]',
    "mechanical_effects" JSONB NOT NULL DEFAULT '{}',
    "is_available" BOOL NOT NULL DEFAULT True
);
CREATE INDEX IF NOT EXISTS "idx_professions_is_avai_4d2cdd" ON "professions" ("is_available");
CREATE TABLE IF NOT EXISTS "players" (
    "player_id" UUID NOT NULL PRIMARY KEY,
    "user_id" UUID NOT NULL,
    "name" VARCHAR(50) NOT NULL,
    "current_room_id" VARCHAR(255) NOT NULL DEFAULT 'earth_arkhamcity_sanitarium_room_foyer_001',
    "respawn_room_id" VARCHAR(255),
    "experience_points" INT NOT NULL DEFAULT 0,
    "level" INT NOT NULL DEFAULT 1,
    "strength" INT NOT NULL DEFAULT 50,
    "dexterity" INT NOT NULL DEFAULT 50,
    "constitution" INT NOT NULL DEFAULT 50,
    "size" INT NOT NULL DEFAULT 50,
    "intelligence" INT NOT NULL DEFAULT 50,
    "power" INT NOT NULL DEFAULT 50,
    "education" INT NOT NULL DEFAULT 50,
    "charisma" INT NOT NULL DEFAULT 50,
    "luck" INT NOT NULL DEFAULT 50,
    "wisdom" INT NOT NULL DEFAULT 50,
    "current_dp" INT NOT NULL DEFAULT 20,
    "max_dp" INT,
    "magic_points" INT NOT NULL DEFAULT 10,
    "lucidity" INT NOT NULL DEFAULT 100,
    "occult" INT NOT NULL DEFAULT 0,
    "occult_knowledge" INT NOT NULL DEFAULT 0,
    "corruption" INT NOT NULL DEFAULT 0,
    "fear" INT NOT NULL DEFAULT 0,
    "cult_affiliation" INT NOT NULL DEFAULT 0,
    "cold_resistance" INT NOT NULL DEFAULT 0,
    "position" VARCHAR(16) NOT NULL DEFAULT 'standing',
    "inventory" JSONB NOT NULL DEFAULT '[]',
    "equipped" JSONB NOT NULL DEFAULT '{}',
    "status_effects" JSONB NOT NULL DEFAULT '[]',
    "is_admin" BOOL NOT NULL DEFAULT False,
    "is_deleted" BOOL NOT NULL DEFAULT False,
    "deleted_at" TIMESTAMPTZ,
    "tutorial_instance_id" VARCHAR(255),
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_active" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "profession_id" INT REFERENCES "professions" ("id") ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS "idx_players_user_id_132ee4" ON "players" ("user_id");
COMMENT ON COLUMN "players"."position" IS 'STANDING: standing\nSITTING: sitting\nLYING: lying';
CREATE TABLE IF NOT EXISTS "containers" (
    "container_id" UUID NOT NULL PRIMARY KEY,
    "source_type" VARCHAR(16) NOT NULL,
    "room_id" VARCHAR(255),
    "lock_state" VARCHAR(16) NOT NULL DEFAULT 'unlocked',
    "capacity_slots" INT NOT NULL,
    "weight_limit" INT,
    "decay_at" TIMESTAMPTZ,
    "allowed_roles" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "container_item_instance_id" VARCHAR(64) REFERENCES "item_instances" ("item_instance_id") ON DELETE SET NULL,
    "entity_id" UUID REFERENCES "players" ("player_id") ON DELETE CASCADE,
    "owner_id" UUID REFERENCES "players" ("player_id") ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS "idx_containers_room_id_198eb9" ON "containers" ("room_id");
CREATE INDEX IF NOT EXISTS "idx_containers_decay_a_08e5a9" ON "containers" ("decay_at");
COMMENT ON COLUMN "containers"."source_type" IS 'ENVIRONMENT: environment\nEQUIPMENT: equipment\nCORPSE: corpse';
COMMENT ON COLUMN "containers"."lock_state" IS 'UNLOCKED: unlocked\nLOCKED: locked\nSEALED: sealed';
CREATE TABLE IF NOT EXISTS "container_contents" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "position" INT NOT NULL,
    "container_id" UUID NOT NULL REFERENCES "containers" ("container_id") ON DELETE CASCADE,
    "item_instance_id" VARCHAR(64) NOT NULL UNIQUE REFERENCES "item_instances" ("item_instance_id") ON DELETE CASCADE,
    CONSTRAINT "uid_container_c_contain_a7cf6e" UNIQUE ("container_id", "position")
);
-- Rules Tortoise cannot declare on a field (Meta.constraints, models.EXPRESSION_INDEXES).
ALTER TABLE "players" ADD CONSTRAINT "ck_players_name_not_empty" CHECK (name <> '');
ALTER TABLE "players" ADD CONSTRAINT "ck_players_experience_points" CHECK (experience_points >= 0);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_level" CHECK (level >= 1);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_max_dp" CHECK (max_dp >= 1);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_position" CHECK (position IN ('standing', 'sitting', 'lying'));
ALTER TABLE "players" ADD CONSTRAINT "ck_players_strength" CHECK (strength BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_dexterity" CHECK (dexterity BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_constitution" CHECK (constitution BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_size" CHECK (size BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_intelligence" CHECK (intelligence BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_power" CHECK (power BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_education" CHECK (education BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_charisma" CHECK (charisma BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_luck" CHECK (luck BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_wisdom" CHECK (wisdom BETWEEN 1 AND 999);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_magic_points" CHECK (magic_points >= 0);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_lucidity" CHECK (lucidity BETWEEN -100 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_occult" CHECK (occult BETWEEN 0 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_occult_knowledge" CHECK (occult_knowledge BETWEEN 0 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_corruption" CHECK (corruption BETWEEN 0 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_fear" CHECK (fear BETWEEN 0 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_cult_affiliation" CHECK (cult_affiliation BETWEEN 0 AND 100);
ALTER TABLE "players" ADD CONSTRAINT "ck_players_cold_resistance" CHECK (cold_resistance BETWEEN 0 AND 100);
ALTER TABLE "item_prototypes" ADD CONSTRAINT "ck_item_prototypes_weight" CHECK (weight >= 0);
ALTER TABLE "item_prototypes" ADD CONSTRAINT "ck_item_prototypes_base_value" CHECK (base_value >= 0);
ALTER TABLE "item_instances" ADD CONSTRAINT "ck_item_instances_owner_type" CHECK (owner_type IN ('room', 'container', 'player'));
ALTER TABLE "item_instances" ADD CONSTRAINT "ck_item_instances_quantity" CHECK (quantity >= 1);
ALTER TABLE "item_instances" ADD CONSTRAINT "ck_item_instances_condition" CHECK (condition BETWEEN 0 AND 100);
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_source_type" CHECK (source_type IN ('environment', 'equipment', 'corpse'));
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_lock_state" CHECK (lock_state IN ('unlocked', 'locked', 'sealed'));
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_capacity_slots" CHECK (capacity_slots BETWEEN 1 AND 20);
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_weight_limit" CHECK (weight_limit > 0);
ALTER TABLE "containers" ADD CONSTRAINT "ck_containers_location" CHECK ((source_type = 'equipment' AND entity_id IS NOT NULL) OR (source_type <> 'equipment' AND room_id IS NOT NULL));
ALTER TABLE "container_contents" ADD CONSTRAINT "ck_container_contents_position" CHECK (position >= 0);
CREATE UNIQUE INDEX IF NOT EXISTS uidx_players_name_active ON players (LOWER(name)) WHERE NOT is_deleted;
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        DROP TABLE IF EXISTS "container_contents";
DROP TABLE IF EXISTS "containers";
DROP TABLE IF EXISTS "players";
DROP TABLE IF EXISTS "professions";
DROP TABLE IF EXISTS "item_instances";
DROP TABLE IF EXISTS "item_prototypes";"""


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
