"""Behaviour of the category head: clear cases, invariance, and honest confidence."""

import pytest

from src.predict import predict_texts


@pytest.mark.parametrize("title, text, expected", [
    ("○○군보건소, 어르신 독감 예방접종 시작",
     "보건소는 65세 이상 어르신을 대상으로 독감 예방접종을 시작한다. 접종은 보건소와 지정 의료기관에서 받을 수 있다.",
     "health"),
    ("○○시, 전통시장 소상공인 경영자금 지원",
     "시는 전통시장 소상공인에게 저금리 경영안정자금을 지원하고 지역화폐 할인 판매도 늘린다고 밝혔다.",
     "economy"),
    ("○○군, 폭설 대비 제설 장비 점검",
     "군은 겨울철 폭설에 대비해 제설 차량과 염화칼슘을 점검하고 재난 상황실을 24시간 운영한다.",
     "safety"),
])
def test_clear_articles_get_their_category(fitted_model, title, text, expected):
    assert predict_texts(fitted_model, [(title, text)])[0]["category"] == expected


def test_place_names_do_not_change_the_category(fitted_model):
    text = "군은 겨울철 폭설에 대비해 제설 차량과 염화칼슘을 점검하고 재난 상황실을 24시간 운영한다."
    a, b = predict_texts(fitted_model, [("연천군, 제설 장비 점검", "연천" + text),
                                        ("해남군, 제설 장비 점검", "해남" + text)])
    assert a["category"] == b["category"] == "safety"


def test_scores_are_probabilities_and_ranked(fitted_model):
    record = predict_texts(fitted_model, [("제목", "아무런 주제도 없는 짧은 글입니다.")], top_k=4)[0]
    scores = [t["score"] for t in record["category_top"]]
    assert len(scores) == 4 and scores == sorted(scores, reverse=True)
    assert 0.0 <= record["category_score"] <= 1.0
    assert 0.0 <= record["category_none_score"] <= 1.0
    unsure = record["category_score"] < fitted_model[-1].low_confidence or record["category_none_score"] > 0.5
    assert record["low_confidence"] == unsure


@pytest.mark.parametrize("title, text", [
    ("아이돌 그룹, 월드투어 마지막 공연 매진",
     "5인조 아이돌 그룹이 북미와 유럽을 도는 월드투어의 마지막 공연 티켓을 모두 팔았다. 소속사는 새 앨범 "
     "발매 일정도 곧 공개한다고 밝혔다. 팬들은 온라인 커뮤니티에서 축하 메시지를 이어갔다."),
    ("유럽연합 정상회의, 대러 추가 제재 합의",
     "유럽연합 정상들이 브뤼셀에서 회의를 열고 러시아에 대한 추가 제재안에 합의했다. 각국 정상은 "
     "에너지 수입 제한 범위를 두고 막판까지 이견을 좁혔다."),
])
def test_articles_that_fit_no_category_are_flagged(fitted_model, title, text):
    record = predict_texts(fitted_model, [(title, text)])[0]
    assert record["low_confidence"]
